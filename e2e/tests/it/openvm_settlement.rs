//! A batch proven with OpenVM settles on L1 through the attesting verifier (slow: a real CPU
//! STARK; `KEEL_SLOW_TESTS=1 e2e/test.sh` runs it with the `keel-prover` it builds with
//! `--features openvm`, named by `KEEL_OPENVM_PROVER`).
//!
//! anvil + `keel deploy` with only an `AttestingVerifier` pinning the guest's program id +
//! node + `keel-prover --backend openvm --attester-key`: one ETH transfer goes from sealed
//! batch to verified on L1; the proof was verified by the prover before it signed.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, U64, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, ensure};
use keel_e2e::{
    Anvil, AnvilOptions, DEV_ADDRESSES, DEV_PRIVATE_KEYS, KeelBinary, KeelNode, Prover,
    free_loopback_addr,
    settlement::{deploy, eventually, settling_node},
    wait::wait_for_receipts,
};
use keel_l1::OnChainProposer;
use keel_primitives::VerifierKind;
use serde_json::Value;

/// Proving a batch on 2 CPU cores takes tens of minutes; the lease must outlast it.
const PROOF_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

fn guest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/guest")
}

/// The `keel-prover` built with `--features openvm` (`KEEL_OPENVM_PROVER`).
pub(crate) fn openvm_prover() -> eyre::Result<PathBuf> {
    let path = std::env::var_os("KEEL_OPENVM_PROVER").map(PathBuf::from).ok_or_else(|| {
        eyre::eyre!(
            "KEEL_OPENVM_PROVER is not set: build keel-prover with `--features openvm` (e2e/test.sh \
             does with KEEL_SLOW_TESTS=1) and name it"
        )
    })?;
    ensure!(
        path.is_file(),
        "KEEL_OPENVM_PROVER={} is not a file",
        path.display()
    );
    Ok(path)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: a CPU OpenVM proof; run with KEEL_SLOW_TESTS=1 e2e/test.sh"]
async fn an_openvm_proof_settles_through_the_attesting_verifier() -> eyre::Result<()> {
    let prover_binary = openvm_prover()?;
    let dir = tempfile::tempdir()?;
    let cache = dir.path().join("openvm-cache");
    let guest = guest_dir();
    let openvm_args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--backend",
            "openvm",
            "--openvm-guest",
            &guest.to_string_lossy(),
            "--openvm-cache",
            &cache.to_string_lossy(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };

    // The program id the contract pins, as the prover computes it.
    let started = Instant::now();
    let output = Command::new(&prover_binary)
        .args(openvm_args(&["--print-program"]))
        .output()
        .wrap_err("cannot run the openvm keel-prover")?;
    ensure!(
        output.status.success(),
        "--print-program failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The last line: the guest's build (openvm-build) prints to stdout before it.
    let stdout = String::from_utf8(output.stdout)?;
    let program = stdout.lines().last().unwrap_or_default().trim().to_owned();
    ensure!(program.len() == 66, "--print-program printed {stdout:?}");
    eprintln!(
        "program {program} ({:.0} s to build, keygen and commit)",
        started.elapsed().as_secs_f64()
    );

    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let datadir = dir.path().join("node");
    let attester: PrivateKeySigner = DEV_PRIVATE_KEYS[7].parse()?;
    let deployment = deploy(
        &keel,
        &anvil,
        &datadir,
        &[
            ("KEEL_L1__DEV_PROVERS", ""),
            (
                "KEEL_L1__ATTESTING_PROVERS",
                &attester.address().to_string(),
            ),
            ("KEEL_L1__ATTESTING_PROGRAM", &program),
        ],
    )?;
    let kinds: Vec<_> = deployment.verifiers.iter().map(|v| v.kind).collect();
    ensure!(kinds == [VerifierKind::Attesting], "{kinds:?}");

    let coordinator = free_loopback_addr()?;
    let node = KeelNode::spawn(
        settling_node(&anvil, &datadir, coordinator, "6s")
            .block_time("2s")
            .env("KEEL_PROVER__LEASE_TIMEOUT", "3h"),
    )
    .await?;
    let provider = node.dev_provider();
    let tx = TransactionRequest::default()
        .from(DEV_ADDRESSES[0])
        .to(Address::with_last_byte(0x90))
        .value(U256::from(1_000u64));
    let hash = *provider.send_transaction(tx).await?.tx_hash();
    let receipt = wait_for_receipts(&provider, &[hash], Duration::from_secs(30)).await?;
    let block = receipt[0].block_number.unwrap_or_default();

    let proofs = dir.path().join("proofs");
    let attester_key = DEV_PRIVATE_KEYS[7];
    let args = openvm_args(&[
        "--name",
        "openvm",
        "--attester-key",
        attester_key,
        "--proofs-dir",
        &proofs.to_string_lossy(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let prover = Prover::start(&prover_binary, dir.path(), coordinator, &args)?;

    let result = async {
        let get_batch = |number: u64| {
            let node = &node;
            async move {
                let batch: Value = node
                    .root_provider()
                    .raw_request("keel_getBatch".into(), (U64::from(number),))
                    .await?;
                eyre::Ok(batch)
            }
        };
        let number = |batch: &Value, key: &str| -> eyre::Result<u64> {
            Ok(serde_json::from_value::<U64>(batch[key].clone())?.to())
        };
        // Batch 1 holds the transfer (sent right after start, 6 s batches of 2 s blocks).
        let batch = eventually("batch 1 sealed", Duration::from_secs(60), || async {
            let batch = get_batch(1).await?;
            Ok((!batch.is_null()).then_some(batch))
        })
        .await?;
        ensure!(
            number(&batch, "firstBlock")? <= block && block <= number(&batch, "lastBlock")?,
            "the transfer (block {block}) is not in batch 1: {batch}"
        );
        let proposer = OnChainProposer::new(deployment.on_chain_proposer, anvil.provider());
        let started = Instant::now();
        eventually("batch 1 verified on L1", PROOF_TIMEOUT, || async {
            let verified: u64 = proposer.lastVerifiedBatch().call().await?.to();
            Ok((verified >= 1).then_some(()))
        })
        .await?;
        let batch = get_batch(1).await?;
        ensure!(batch["proof"]["backend"] == "openvm", "{batch}");
        ensure!(
            batch["proof"]["programVersion"] == program.as_str(),
            "{batch}"
        );
        ensure!(
            batch["proof"]["parts"] == serde_json::json!(["attesting"]),
            "{batch}"
        );
        ensure!(
            std::fs::read_dir(&proofs)?.count() >= 1,
            "no app proof kept in {}",
            proofs.display()
        );
        let log = prover.log();
        let proven = log
            .lines()
            .filter(|l| l.contains("proven and verified"))
            .collect::<Vec<_>>();
        eprintln!(
            "batch 1 ({} transactions, blocks {}..={}) verified on L1 {:.0} s after the prover \
             started\n{}",
            batch["transactions"],
            batch["firstBlock"],
            batch["lastBlock"],
            started.elapsed().as_secs_f64(),
            proven.join("\n")
        );
        Ok(())
    }
    .await;
    let result = result.wrap_err_with(|| format!("prover log:\n{}", prover.log()));
    node.finish(result)
}

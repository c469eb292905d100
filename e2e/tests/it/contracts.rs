//! The settlement contracts against a real anvil, driven directly (no node): each rule that
//! guards value refuses what it must, with the named error, and accepts the honest call.

use std::str::FromStr;

use alloy::{
    primitives::{Address, B256, Bytes, U256, utils::parse_ether},
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::SolInterface,
};
use eyre::{bail, ensure};
use keel_e2e::{
    Anvil, AnvilOptions, DEV_ADDRESSES, DEV_PRIVATE_KEYS, KeelBinary,
    settlement::{
        DEV_PROVER_KEY, SEQUENCER_KEY, TimelockedCall, deploy, l1_wallet, timelock_as_owner,
    },
};
use keel_l1::{AttestingVerifier, CommonBridge, DevVerifier, OnChainProposer};
use keel_primitives::{
    DepositTx, NO_DEPOSITS, NO_WITHDRAWALS, VerifierKind, Withdrawal, WithdrawalTree,
    attestation_digest, attestation_proof, bridge::DepositsRollingHash, dev_attestation_digest,
};

/// The custom error a call reverted with, decoded as `E`.
fn reverted<T: std::fmt::Debug, E: SolInterface + std::fmt::Debug>(
    result: Result<T, alloy::contract::Error>,
) -> eyre::Result<E> {
    match result {
        Ok(value) => bail!("expected a revert, the call returned {value:?}"),
        Err(error) => error.as_decoded_interface_error::<E>().ok_or_else(|| {
            eyre::eyre!(
                "reverted, but not with a {}: {error}",
                std::any::type_name::<E>()
            )
        }),
    }
}

/// A `DevVerifier` proof: `key`'s signature over `commitment`.
fn dev_proof(key: &str, commitment: B256) -> eyre::Result<Bytes> {
    let signer = PrivateKeySigner::from_str(key)?;
    Ok(signer
        .sign_hash_sync(&dev_attestation_digest(commitment))?
        .as_bytes()
        .to_vec()
        .into())
}

/// `keel deploy` of a validium: the tests of the rules that are not about data commit roots
/// without blobs.
const VALIDIUM: (&str, &str) = ("KEEL_BATCHER__DATA_AVAILABILITY", "validium");

/// A batch header ending at `last_block`, with made-up roots.
fn header(
    last_block: u64,
    withdrawals_root: B256,
    deposits_rolling_hash: B256,
    deposit_count: u64,
) -> OnChainProposer::BatchHeader {
    OnChainProposer::BatchHeader {
        lastBlock: U256::from(last_block),
        newStateRoot: B256::repeat_byte(0x5a),
        lastBlockHash: B256::repeat_byte(0xb1),
        lastBlockTimestamp: U256::from(1_700_000_000u64),
        withdrawalsRoot: withdrawals_root,
        depositsRollingHash: deposits_rolling_hash,
        depositCount: U256::from(deposit_count),
    }
}

/// Commits batch 1 (blocks 1..=10, no withdrawals or deposits, no blobs: a validium) and
/// returns the commitment the contract rebuilt for it.
async fn commit_first_batch<P: alloy::providers::Provider>(
    proposer: &OnChainProposer::OnChainProposerInstance<P>,
) -> eyre::Result<B256> {
    ensure!(
        proposer
            .commitBatch(
                U256::from(1),
                header(10, NO_WITHDRAWALS, NO_DEPOSITS, 0),
                vec![]
            )
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    Ok(proposer.commitmentOf(U256::from(1)).call().await?)
}

#[tokio::test(flavor = "multi_thread")]
async fn settlement_contracts_refuse_what_they_must() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let deployment = deploy(
        &KeelBinary::locate()?,
        &anvil,
        &dir.path().join("node"),
        &[VALIDIUM],
    )?;
    let sequencer = l1_wallet(&anvil, SEQUENCER_KEY)?;
    let stranger = l1_wallet(&anvil, DEV_PRIVATE_KEYS[5])?;
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, &sequencer);
    let bridge = CommonBridge::new(deployment.common_bridge, &stranger);

    // Three deposits' worth of ETH in the bridge; batch 1 consumes the one deposit.
    let value = parse_ether("3")?;
    let recipient = Address::with_last_byte(0x42);
    bridge
        .deposit(recipient)
        .value(value)
        .send()
        .await?
        .get_receipt()
        .await?;
    let mut rolling = DepositsRollingHash::default();
    rolling.push(DepositTx::deposit(0, DEV_ADDRESSES[5], recipient, value).deposit_hash());

    // Three withdrawals in batch 1's tree.
    let withdrawals: Vec<Withdrawal> = (1..=3u8)
        .map(|i| Withdrawal {
            l2_tx_hash: B256::repeat_byte(i),
            index_in_tx: 0,
            l2_sender: Address::repeat_byte(i),
            l1_receiver: Address::repeat_byte(0xe0 + i),
            amount: parse_ether("0.5").expect("literal"),
            token: Address::ZERO,
        })
        .collect();
    let tree = WithdrawalTree::new(withdrawals.iter().map(Withdrawal::leaf));
    // (A macro: the call builder borrows the instance it is made from.)
    macro_rules! commit {
        ($proposer:expr, $number:expr, $deposits:expr, $rolling:expr) => {
            $proposer.commitBatch(
                U256::from($number),
                header($number * 10, tree.root(), $rolling, $deposits),
                vec![],
            )
        };
    }
    use OnChainProposer::OnChainProposerErrors as P;
    let as_stranger = OnChainProposer::new(deployment.on_chain_proposer, &stranger);
    let e: P = reverted(
        commit!(as_stranger, 1u64, 1u64, rolling.hash())
            .call()
            .await,
    )?;
    ensure!(matches!(e, P::NotSequencer(_)), "{e:?}");
    let e: P = reverted(commit!(proposer, 2u64, 1u64, rolling.hash()).call().await)?;
    ensure!(matches!(e, P::BatchOutOfOrder(_)), "{e:?}");
    let e: P = reverted(
        commit!(proposer, 1u64, 1u64, B256::repeat_byte(9))
            .call()
            .await,
    )?;
    ensure!(matches!(e, P::DepositsMismatch(_)), "{e:?}");
    ensure!(
        commit!(proposer, 1u64, 1u64, rolling.hash())
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    let commitment = proposer.commitmentOf(U256::from(1)).call().await?;

    // A claim before verification is refused.
    let claim = |index: usize, proof: Vec<B256>| {
        let w = withdrawals[index];
        bridge.claimWithdrawal(
            U256::from(1),
            w.l2_tx_hash,
            U256::from(w.index_in_tx),
            w.l1_receiver,
            w.amount,
            U256::from(index),
            proof,
        )
    };
    use CommonBridge::CommonBridgeErrors as B;
    let e: B = reverted(claim(1, tree.proof(1).expect("leaf")).call().await)?;
    ensure!(matches!(e, B::BatchNotVerified(_)), "{e:?}");

    // Only a registered prover's signature over this very commitment verifies.
    use DevVerifier::DevVerifierErrors as V;
    let e: V = reverted(
        proposer
            .verifyBatch(
                U256::from(1),
                vec![dev_proof(DEV_PRIVATE_KEYS[4], commitment)?],
            )
            .call()
            .await,
    )?;
    ensure!(matches!(e, V::UnknownProver(_)), "{e:?}");
    let e: V = reverted(
        proposer
            .verifyBatch(
                U256::from(1),
                vec![dev_proof(DEV_PROVER_KEY, B256::repeat_byte(1))?],
            )
            .call()
            .await,
    )?;
    ensure!(
        matches!(e, V::UnknownProver(_)),
        "a signature over another commitment: {e:?}"
    );
    let e: P = reverted(proposer.verifyBatch(U256::from(1), vec![]).call().await)?;
    ensure!(matches!(e, P::WrongProofCount(_)), "{e:?}");
    let good = dev_proof(DEV_PROVER_KEY, commitment)?;
    let e: P = reverted(
        proposer
            .verifyBatch(U256::from(2), vec![good.clone()])
            .call()
            .await,
    )?;
    ensure!(matches!(e, P::VerifyOutOfOrder(_)), "{e:?}");
    ensure!(
        proposer
            .verifyBatch(U256::from(1), vec![good])
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(proposer.isVerified(U256::from(1)).call().await?);

    // A wrong proof is refused; the right one pays exactly once.
    let e: B = reverted(claim(1, tree.proof(2).expect("leaf")).call().await)?;
    ensure!(matches!(e, B::BadWithdrawalProof(_)), "{e:?}");
    ensure!(
        claim(1, tree.proof(1).expect("leaf"))
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    let provider = anvil.provider();
    let paid =
        alloy::providers::Provider::get_balance(&provider, withdrawals[1].l1_receiver).await?;
    ensure!(paid == withdrawals[1].amount, "paid {paid}");
    let e: B = reverted(claim(1, tree.proof(1).expect("leaf")).call().await)?;
    ensure!(matches!(e, B::AlreadyClaimed(_)), "{e:?}");
    let left = alloy::providers::Provider::get_balance(&provider, deployment.common_bridge).await?;
    ensure!(
        left == value - withdrawals[1].amount,
        "the bridge holds {left}"
    );
    Ok(())
}

/// A deployment with both verifiers: `verifyBatch` needs the dev signature and the attestation,
/// each checked by its own contract, and the attesting verifier takes only the pinned program
/// signed by a registered key.
#[tokio::test(flavor = "multi_thread")]
async fn every_verifier_must_accept_and_the_attesting_one_pins_its_program() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let program = B256::repeat_byte(0x9a);
    let attester = DEV_PRIVATE_KEYS[7];
    let attester_address = attester.parse::<PrivateKeySigner>()?.address();
    let deployment = deploy(
        &KeelBinary::locate()?,
        &anvil,
        &dir.path().join("node"),
        &[
            VALIDIUM,
            ("KEEL_L1__ATTESTING_PROVERS", &attester_address.to_string()),
            ("KEEL_L1__ATTESTING_PROGRAM", &program.to_string()),
        ],
    )?;
    let kinds: Vec<_> = deployment.verifiers.iter().map(|v| v.kind).collect();
    ensure!(
        kinds == [VerifierKind::Dev, VerifierKind::Attesting],
        "{kinds:?}"
    );
    let attesting = &deployment.verifiers[1];
    ensure!(attesting.program == Some(program) && attesting.provers == [attester_address]);

    let sequencer = l1_wallet(&anvil, SEQUENCER_KEY)?;
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, &sequencer);
    let on_chain = proposer.verifiers().call().await?;
    ensure!(on_chain == [deployment.verifiers[0].address, attesting.address]);
    let commitment = commit_first_batch(&proposer).await?;
    let dev = dev_proof(DEV_PROVER_KEY, commitment)?;
    let attest = |key: &str, program: B256| -> eyre::Result<Bytes> {
        let signature = PrivateKeySigner::from_str(key)?
            .sign_hash_sync(&attestation_digest(program, commitment))?
            .as_bytes();
        Ok(attestation_proof(program, &signature))
    };
    let verify = |proofs: Vec<Bytes>| proposer.verifyBatch(U256::from(1), proofs);

    use AttestingVerifier::AttestingVerifierErrors as A;
    use OnChainProposer::OnChainProposerErrors as P;
    let e: P = reverted(verify(vec![dev.clone()]).call().await)?;
    ensure!(matches!(e, P::WrongProofCount(_)), "{e:?}");
    let e: A = reverted(verify(vec![dev.clone(), dev.clone()]).call().await)?;
    ensure!(matches!(e, A::BadProofLength(_)), "{e:?}");
    let other_program = B256::repeat_byte(0x9b);
    let e: A = reverted(
        verify(vec![dev.clone(), attest(attester, other_program)?])
            .call()
            .await,
    )?;
    ensure!(
        matches!(&e, A::ProgramMismatch(m) if m.expected == program && m.attested == other_program),
        "{e:?}"
    );
    let e: A = reverted(
        verify(vec![dev.clone(), attest(DEV_PRIVATE_KEYS[6], program)?])
            .call()
            .await,
    )?;
    ensure!(matches!(e, A::UnknownProver(_)), "{e:?}");
    // The dev verifier is checked too: a good attestation does not carry a bad signature.
    let good = attest(attester, program)?;
    use DevVerifier::DevVerifierErrors as V;
    let e: V = reverted(verify(vec![good.slice(32..), good.clone()]).call().await)?;
    ensure!(matches!(e, V::UnknownProver(_)), "{e:?}");
    ensure!(
        verify(vec![dev, good])
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(proposer.isVerified(U256::from(1)).call().await?);

    // Only the owner re-pins the program, through the timelock: neither a stranger nor the
    // sequencer can.
    for key in [DEV_PRIVATE_KEYS[5], SEQUENCER_KEY] {
        let wallet = l1_wallet(&anvil, key)?;
        let direct = AttestingVerifier::new(attesting.address, &wallet);
        let e: A = reverted(direct.setProgram(other_program).call().await)?;
        ensure!(matches!(e, A::OwnableUnauthorizedAccount(_)), "{e:?}");
    }
    let timelock = timelock_as_owner(&anvil, &deployment)?;
    let zero = AttestingVerifier::setProgramCall {
        program_: B256::ZERO,
    };
    let execute = TimelockedCall::new(
        attesting.address,
        alloy::sol_types::SolCall::abi_encode(&zero),
    )
    .ready(&anvil, &deployment, &timelock)
    .await?;
    let e: A = reverted(execute.call().await)?;
    ensure!(matches!(e, A::ZeroProgram(_)), "{e:?}");
    Ok(())
}

/// The statement a [`Halo2VerifierStandIn`] accepts: `OpenVmVerifier` must hand OpenVM's
/// halo2 verifier the commitment as the 32 public-value bytes, the proof as `proofData` and
/// the pinned commitments.
fn halo2_statement(commitment: B256, proof: &Bytes, exe: B256, vm: B256) -> B256 {
    use alloy::sol_types::SolValue;
    alloy::primitives::keccak256(
        (Bytes::from(commitment.to_vec()), proof.clone(), exe, vm).abi_encode_params(),
    )
}

/// `keel deploy` with `l1.openvm_evm_verifier`: the generated halo2 verifier from the folder and
/// an `OpenVmVerifier` pinning the program in front of it. Here the halo2 verifier is the
/// stand-in fixture (OpenVM's real one needs its KZG parameters), which accepts one statement.
#[tokio::test(flavor = "multi_thread")]
async fn the_openvm_verifier_pins_its_program_and_passes_the_statement_on() -> eyre::Result<()> {
    use alloy::sol_types::SolConstructor;
    use keel_e2e::contracts::Halo2VerifierStandIn;
    use keel_l1::OpenVmVerifier;

    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let exe = B256::repeat_byte(0x0e);
    let vm = B256::repeat_byte(0x0f);
    let proof = Bytes::from(vec![0x5c; 55 * 32]);
    // The verifier deployed from the folder accepts nothing yet (a statement no call makes).
    let stand_in = |accepted: B256| -> Bytes {
        let args = Halo2VerifierStandIn::constructorCall {
            accepted_: accepted,
        }
        .abi_encode();
        [Halo2VerifierStandIn::BYTECODE.as_ref(), &args]
            .concat()
            .into()
    };
    let folder = dir.path().join("openvm-evm-verifier");
    std::fs::create_dir_all(&folder)?;
    std::fs::write(
        folder.join(keel_l1::OPENVM_VERIFIER_FILE),
        serde_json::json!({
            "openvmVersion": "2.0.2",
            "bytecode": stand_in(B256::ZERO).to_string(),
            "appExeCommit": exe,
            "appVmCommit": vm,
        })
        .to_string(),
    )?;
    let deployment = deploy(
        &KeelBinary::locate()?,
        &anvil,
        &dir.path().join("node"),
        &[
            VALIDIUM,
            ("KEEL_L1__OPENVM_EVM_VERIFIER", &folder.to_string_lossy()),
        ],
    )?;
    let kinds: Vec<_> = deployment.verifiers.iter().map(|v| v.kind).collect();
    ensure!(
        kinds == [VerifierKind::Dev, VerifierKind::OpenVm],
        "{kinds:?}"
    );
    let openvm = &deployment.verifiers[1];
    let program = alloy::primitives::keccak256([exe.as_slice(), vm.as_slice()].concat());
    ensure!(openvm.program == Some(program), "{:?}", openvm.program);

    let sequencer = l1_wallet(&anvil, SEQUENCER_KEY)?;
    let verifier = OpenVmVerifier::new(openvm.address, &sequencer);
    ensure!(verifier.program().call().await? == program);
    ensure!(verifier.appExeCommit().call().await? == exe);
    ensure!(verifier.appVmCommit().call().await? == vm);

    let proposer = OnChainProposer::new(deployment.on_chain_proposer, &sequencer);
    let commitment = commit_first_batch(&proposer).await?;
    let dev = dev_proof(DEV_PROVER_KEY, commitment)?;
    let verify = |proofs: Vec<Bytes>| proposer.verifyBatch(U256::from(1), proofs);

    use Halo2VerifierStandIn::Halo2VerifierStandInErrors as H;
    use OpenVmVerifier::OpenVmVerifierErrors as O;
    let e: O = reverted(verify(vec![dev.clone(), proof.slice(1..)]).call().await)?;
    ensure!(
        matches!(&e, O::BadProofLength(b) if b.length == U256::from(55 * 32 - 1)),
        "{e:?}"
    );
    // The halo2 verifier refuses: so does verifyBatch.
    let e: H = reverted(verify(vec![dev.clone(), proof.clone()]).call().await)?;
    let wanted = halo2_statement(commitment, &proof, exe, vm);
    ensure!(
        matches!(&e, H::Rejected(r) if r.statement == wanted),
        "{e:?}"
    );

    // Only the owner swaps the halo2 verifier (an OpenVM upgrade) or the program; then the
    // statement the new one accepts verifies the batch.
    let accepting = *Halo2VerifierStandIn::deploy(&sequencer, wanted)
        .await?
        .address();
    let stranger = l1_wallet(&anvil, DEV_PRIVATE_KEYS[5])?;
    let as_stranger = OpenVmVerifier::new(openvm.address, &stranger);
    let e: O = reverted(as_stranger.setHalo2Verifier(accepting).call().await)?;
    ensure!(matches!(e, O::OwnableUnauthorizedAccount(_)), "{e:?}");
    let e: O = reverted(as_stranger.setProgram(vm, exe).call().await)?;
    ensure!(matches!(e, O::OwnableUnauthorizedAccount(_)), "{e:?}");
    let e: O = reverted(verifier.setHalo2Verifier(accepting).call().await)?;
    ensure!(
        matches!(e, O::OwnableUnauthorizedAccount(_)),
        "the sequencer owns nothing: {e:?}"
    );
    // The owner, through the timelock: a bad change is refused, the good one applies.
    let timelock = timelock_as_owner(&anvil, &deployment)?;
    let through_timelock = |call: Vec<u8>, salt: u8| {
        let mut call = TimelockedCall::new(openvm.address, call);
        call.salt = B256::repeat_byte(salt);
        call
    };
    use alloy::sol_types::SolCall;
    let zero_program = through_timelock(
        OpenVmVerifier::setProgramCall {
            appExeCommit_: B256::ZERO,
            appVmCommit_: vm,
        }
        .abi_encode(),
        1,
    );
    let e: O = reverted(
        zero_program
            .ready(&anvil, &deployment, &timelock)
            .await?
            .call()
            .await,
    )?;
    ensure!(matches!(e, O::ZeroProgram(_)), "{e:?}");
    let no_contract = through_timelock(
        OpenVmVerifier::setHalo2VerifierCall {
            halo2Verifier_: Address::repeat_byte(7),
        }
        .abi_encode(),
        2,
    );
    let e: O = reverted(
        no_contract
            .ready(&anvil, &deployment, &timelock)
            .await?
            .call()
            .await,
    )?;
    ensure!(matches!(e, O::NotAContract(_)), "{e:?}");
    let swap = through_timelock(
        OpenVmVerifier::setHalo2VerifierCall {
            halo2Verifier_: accepting,
        }
        .abi_encode(),
        3,
    );
    ensure!(
        swap.ready(&anvil, &deployment, &timelock)
            .await?
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(
        verify(vec![dev, proof])
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(proposer.isVerified(U256::from(1)).call().await?);
    Ok(())
}

/// A rollup deployment takes a batch only with its data in the commit transaction's blobs:
/// each opening goes through the point-evaluation precompile against the blob L1 holds, the
/// blobs hash enters the commitment exactly as the node computes it, and the beacon API serves
/// the blobs back as the frame that was posted. A validium deployment takes no blob.
#[tokio::test(flavor = "multi_thread")]
async fn rollup_commits_carry_their_data_in_blobs_l1_checks() -> eyre::Result<()> {
    use alloy::providers::Provider;
    use keel_da::{Codec, Frame, commit_blobs, frame_from_blobs};
    use keel_l1::{BeaconBlockId, BlobSource, blob_sidecar};
    use keel_primitives::{BatchOutput, DataAvailability, blobs_hash};

    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let deployment = deploy(&keel, &anvil, &dir.path().join("node"), &[])?;
    ensure!(deployment.data_availability == DataAvailability::Blobs);
    let sequencer = l1_wallet(&anvil, SEQUENCER_KEY)?;
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, &sequencer);
    ensure!(!proposer.validium().call().await?);

    // A frame filling two blobs, its openings and its sidecar.
    let data: Vec<u8> = (0..150_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let frame = Frame::new(Codec::None, data.len(), &data);
    let posted = commit_blobs(&frame)?;
    ensure!(posted.len() == 2, "{} blobs", posted.len());
    let sidecar = blob_sidecar(&frame)?;
    let openings: Vec<OnChainProposer::BlobOpening> = posted.iter().map(Into::into).collect();
    let header = header(10, NO_WITHDRAWALS, NO_DEPOSITS, 0);
    let commit = |openings: Vec<OnChainProposer::BlobOpening>| {
        proposer.commitBatch(U256::from(1), header.clone(), openings)
    };

    use OnChainProposer::OnChainProposerErrors as P;
    // No data at all; openings without blobs; blobs without openings.
    let e: P = reverted(commit(vec![]).call().await)?;
    ensure!(matches!(e, P::NoBlobs(_)), "{e:?}");
    let e: P = reverted(commit(openings.clone()).call().await)?;
    ensure!(
        matches!(&e, P::BlobCountMismatch(m) if m.index == U256::ZERO),
        "{e:?}"
    );
    let e: P = reverted(
        commit(openings[..1].to_vec())
            .sidecar(sidecar.clone())
            .call()
            .await,
    )?;
    ensure!(
        matches!(&e, P::BlobCountMismatch(m) if m.openings == U256::from(1)),
        "one opening for two blobs: {e:?}"
    );
    // A wrong value, a proof of another point, a truncated commitment.
    let mut wrong_y = openings.clone();
    wrong_y[1].y = B256::with_last_byte(1);
    let e: P = reverted(commit(wrong_y).sidecar(sidecar.clone()).call().await)?;
    ensure!(
        matches!(&e, P::BlobOpeningRejected(r) if r.index == U256::from(1)),
        "{e:?}"
    );
    let mut wrong_proof = openings.clone();
    wrong_proof[0].proof = openings[1].proof.clone();
    let e: P = reverted(commit(wrong_proof).sidecar(sidecar.clone()).call().await)?;
    ensure!(
        matches!(&e, P::BlobOpeningRejected(r) if r.index == U256::ZERO),
        "{e:?}"
    );
    let mut short = openings.clone();
    short[0].commitment = short[0].commitment.slice(1..);
    let e: P = reverted(commit(short).sidecar(sidecar.clone()).call().await)?;
    ensure!(matches!(&e, P::MalformedOpening(_)), "{e:?}");

    // The honest commit: a type-3 transaction whose blobs hash is in the commitment.
    let receipt = commit(openings)
        .sidecar(sidecar.clone())
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "commit reverted");
    let provider = anvil.provider();
    let tx = provider
        .get_transaction_by_hash(receipt.transaction_hash)
        .await?
        .ok_or_else(|| eyre::eyre!("commit transaction not found"))?;
    let vhs: Vec<B256> = posted.iter().map(|p| p.binding.versioned_hash).collect();
    ensure!(
        alloy::consensus::Transaction::blob_versioned_hashes(&tx) == Some(&vhs[..]),
        "the commit carries {:?}",
        alloy::consensus::Transaction::blob_versioned_hashes(&tx)
    );
    let bindings: Vec<_> = posted.iter().map(|p| p.binding).collect();
    ensure!(proposer.blobsHashOf(U256::from(1)).call().await? == blobs_hash(&bindings));
    ensure!(proposer.chainSpecHash().call().await? == deployment.chain_spec_hash);
    let output = BatchOutput {
        batch_number: 1,
        chain_spec_hash: deployment.chain_spec_hash,
        first_block: 1,
        block_count: 10,
        parent_block_hash: deployment.l2_genesis_hash,
        pre_state_root: deployment.l2_genesis_state_root,
        post_state_root: B256::repeat_byte(0x5a),
        last_block_hash: B256::repeat_byte(0xb1),
        last_block_timestamp: 1_700_000_000,
        withdrawals_root: NO_WITHDRAWALS,
        deposits_rolling_hash: NO_DEPOSITS,
        blobs_hash: blobs_hash(&bindings),
    };
    ensure!(proposer.commitmentOf(U256::from(1)).call().await? == output.commitment());
    let committed = receipt
        .decoded_log::<OnChainProposer::BatchCommitted>()
        .ok_or_else(|| eyre::eyre!("no BatchCommitted log"))?;
    ensure!(committed.blobHashes == vhs, "{:?}", committed.blobHashes);

    // A proof made for other blob contents attests another commitment: refused. The proof of
    // these contents verifies.
    let mut other_data = data.clone();
    other_data[77] ^= 1;
    let other = commit_blobs(&Frame::new(Codec::None, other_data.len(), &other_data))?;
    let other_output = BatchOutput {
        blobs_hash: blobs_hash(&other.iter().map(|p| p.binding).collect::<Vec<_>>()),
        ..output
    };
    ensure!(other_output.commitment() != output.commitment());
    use DevVerifier::DevVerifierErrors as V;
    let e: V = reverted(
        proposer
            .verifyBatch(
                U256::from(1),
                vec![dev_proof(DEV_PROVER_KEY, other_output.commitment())?],
            )
            .call()
            .await,
    )?;
    ensure!(matches!(e, V::UnknownProver(_)), "{e:?}");
    let verified = proposer
        .verifyBatch(
            U256::from(1),
            vec![dev_proof(DEV_PROVER_KEY, output.commitment())?],
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(
        verified.status(),
        "the proof of the posted blobs was refused"
    );

    // The beacon API serves them back, checked against their versioned hashes, as the frame.
    let block = receipt.block_number.unwrap_or_default();
    let source = BlobSource::new(&anvil.rpc_url(), BeaconBlockId::Number);
    let blobs = source.blobs(block, 0, &vhs).await?;
    ensure!(
        frame_from_blobs(&blobs)? == frame,
        "the blobs decode to another frame"
    );
    let missing = source.blobs(block, 0, &[B256::repeat_byte(1)]).await;
    ensure!(
        matches!(missing, Err(keel_l1::L1Error::MissingBlob { .. })),
        "{missing:?}"
    );

    // A validium deployment refuses a blob.
    let validium = deploy(&keel, &anvil, &dir.path().join("validium"), &[VALIDIUM])?;
    ensure!(validium.data_availability == DataAvailability::Validium);
    let as_validium = OnChainProposer::new(validium.on_chain_proposer, &sequencer);
    let e: P = reverted(
        as_validium
            .commitBatch(U256::from(1), header.clone(), vec![])
            .sidecar(sidecar)
            .call()
            .await,
    )?;
    ensure!(matches!(e, P::BlobsInValidium(_)), "{e:?}");
    Ok(())
}

/// Stage-1 roles: the timelock owns every contract, only the owner schedules through it, a
/// change runs no sooner than the exit window later (and the window cannot shrink), the
/// security council can pause the bridge once and cancel a change, and the sequencer key can
/// do none of it.
#[tokio::test(flavor = "multi_thread")]
async fn changes_wait_out_the_exit_window_and_the_sequencer_owns_nothing() -> eyre::Result<()> {
    use alloy::sol_types::SolCall;
    use keel_e2e::settlement::{COUNCIL_KEY, deploy_printing, l1_warp};
    use keel_l1::KeelTimelock;

    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let (deployment, printed) = deploy_printing(
        &KeelBinary::locate()?,
        &anvil,
        &dir.path().join("node"),
        &[VALIDIUM],
    )?;
    // What the deployment file and `keel deploy` say.
    let (owner, council) = (DEV_ADDRESSES[7], DEV_ADDRESSES[6]);
    ensure!(
        deployment.owner == owner
            && deployment.security_council == Some(council)
            && deployment.exit_window == 30,
        "{deployment:?}"
    );
    for shown in [
        format!("KeelTimelock     {}", deployment.timelock),
        format!("owner            {owner}"),
        "delay 30 s".to_owned(),
        format!("security council {council}  may pause deposits and claims once"),
        "(commits batches; owns nothing)".to_owned(),
    ] {
        ensure!(
            printed.contains(&shown),
            "`keel deploy` did not print {shown:?}:\n{printed}"
        );
    }

    // The timelock owns every contract; the window is on chain.
    let sequencer = l1_wallet(&anvil, SEQUENCER_KEY)?;
    let stranger = l1_wallet(&anvil, DEV_PRIVATE_KEYS[5])?;
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, &sequencer);
    let bridge = CommonBridge::new(deployment.common_bridge, &stranger);
    let dev_verifier = DevVerifier::new(deployment.verifiers[0].address, &stranger);
    ensure!(proposer.owner().call().await? == deployment.timelock);
    ensure!(bridge.owner().call().await? == deployment.timelock);
    ensure!(dev_verifier.owner().call().await? == deployment.timelock);
    let timelock = timelock_as_owner(&anvil, &deployment)?;
    ensure!(timelock.getMinDelay().call().await? == U256::from(30));
    ensure!(timelock.exitWindow().call().await? == U256::from(30));

    // A replacement verifier, and the change that installs it.
    let replacement = *DevVerifier::deploy(&stranger, owner, vec![DEV_ADDRESSES[4]])
        .await?
        .address();
    let set_verifiers = OnChainProposer::setVerifiersCall {
        newVerifiers: vec![replacement],
    };
    let change = TimelockedCall::new(deployment.on_chain_proposer, set_verifiers.abi_encode());

    // The sequencer can neither make it nor schedule it.
    use KeelTimelock::KeelTimelockErrors as T;
    use OnChainProposer::OnChainProposerErrors as P;
    let e: P = reverted(proposer.setVerifiers(vec![replacement]).call().await)?;
    ensure!(matches!(e, P::OwnableUnauthorizedAccount(_)), "{e:?}");
    let as_sequencer = KeelTimelock::new(deployment.timelock, sequencer.clone());
    let e: T = reverted(change.schedule(&as_sequencer, 30).call().await)?;
    ensure!(matches!(e, T::AccessControlUnauthorizedAccount(_)), "{e:?}");

    // The owner schedules it with the full delay (no less); it runs only once that has passed.
    let e: T = reverted(change.schedule(&timelock, 29).call().await)?;
    ensure!(matches!(e, T::TimelockInsufficientDelay(_)), "{e:?}");
    ensure!(
        change
            .schedule(&timelock, 30)
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    let e: T = reverted(change.execute(&timelock).call().await)?;
    ensure!(matches!(e, T::TimelockUnexpectedOperationState(_)), "{e:?}");
    l1_warp(&anvil, 15).await?;
    let e: T = reverted(change.execute(&timelock).call().await)?;
    ensure!(matches!(e, T::TimelockUnexpectedOperationState(_)), "{e:?}");
    ensure!(proposer.verifiers().call().await? == [deployment.verifiers[0].address]);
    l1_warp(&anvil, 15).await?;
    // Anyone may execute a ready change.
    let as_stranger = KeelTimelock::new(deployment.timelock, stranger.clone());
    ensure!(
        change
            .execute(&as_stranger)
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(proposer.verifiers().call().await? == [replacement]);

    // The window cannot shrink: a shorter delay, even scheduled, is refused when it runs.
    let shorter = KeelTimelock::updateDelayCall {
        newDelay: U256::from(10),
    };
    let e: T = reverted(
        TimelockedCall::new(deployment.timelock, shorter.abi_encode())
            .ready(&anvil, &deployment, &timelock)
            .await?
            .call()
            .await,
    )?;
    ensure!(matches!(e, T::DelayBelowExitWindow(_)), "{e:?}");

    // The council cancels a scheduled change of sequencer; it never runs.
    let mut hijack = TimelockedCall::new(
        deployment.on_chain_proposer,
        OnChainProposer::setSequencerCall {
            newSequencer: DEV_ADDRESSES[5],
        }
        .abi_encode(),
    );
    hijack.salt = B256::repeat_byte(1);
    ensure!(
        hijack
            .schedule(&timelock, 30)
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    let id = timelock
        .hashOperation(
            hijack.target,
            U256::ZERO,
            hijack.data.clone(),
            B256::ZERO,
            hijack.salt,
        )
        .call()
        .await?;
    let as_council = KeelTimelock::new(deployment.timelock, l1_wallet(&anvil, COUNCIL_KEY)?);
    let e: T = reverted(as_stranger.cancel(id).call().await)?;
    ensure!(matches!(e, T::AccessControlUnauthorizedAccount(_)), "{e:?}");
    ensure!(
        as_council
            .cancel(id)
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    l1_warp(&anvil, 30).await?;
    let e: T = reverted(hijack.execute(&timelock).call().await)?;
    ensure!(matches!(e, T::TimelockUnexpectedOperationState(_)), "{e:?}");
    ensure!(proposer.sequencer().call().await? == deployment.sequencer);

    // The council pauses deposits and claims at once, once; the pause ends by itself.
    use CommonBridge::CommonBridgeErrors as B;
    let council_bridge =
        CommonBridge::new(deployment.common_bridge, l1_wallet(&anvil, COUNCIL_KEY)?);
    let e: B = reverted(bridge.pause().call().await)?;
    ensure!(matches!(e, B::NotSecurityCouncil(_)), "{e:?}");
    ensure!(
        council_bridge
            .pause()
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    let deposit = || bridge.deposit(DEV_ADDRESSES[5]).value(U256::from(1));
    let e: B = reverted(deposit().call().await)?;
    ensure!(matches!(e, B::EnforcedPause(_)), "{e:?}");
    ensure!(
        council_bridge
            .unpause()
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(deposit().send().await?.get_receipt().await?.status());
    let e: B = reverted(council_bridge.pause().call().await)?;
    ensure!(matches!(e, B::PauseNotArmed(_)), "{e:?}");
    let mut rearm = TimelockedCall::new(
        deployment.common_bridge,
        CommonBridge::rearmPauseCall {}.abi_encode(),
    );
    rearm.salt = B256::repeat_byte(2);
    ensure!(
        rearm
            .ready(&anvil, &deployment, &timelock)
            .await?
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(
        council_bridge
            .pause()
            .send()
            .await?
            .get_receipt()
            .await?
            .status()
    );
    ensure!(bridge.paused().call().await?);
    l1_warp(&anvil, 30).await?;
    ensure!(
        !bridge.paused().call().await?,
        "a pause lasts at most the exit window"
    );
    ensure!(deposit().send().await?.get_receipt().await?.status());
    Ok(())
}

//! Helpers for tests that settle on a real L1: `keel deploy` against an [`Anvil`], node options
//! that turn settlement on, and L1 providers.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Command, Output},
    time::{Duration, Instant},
};

use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, bail, ensure};
use keel_l1::Deployment;

use crate::{
    Anvil, KeelBinary, KeelNode, KeelNodeOptions, Prover, default_config_path, free_loopback_addr,
};

/// The devnet's exec-prover attestation key (anvil account 8, `l1.dev_provers`).
pub const DEV_PROVER_KEY: &str =
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
/// The devnet's L1 sequencer key (anvil account 9, `l1.sequencer_key`).
pub const SEQUENCER_KEY: &str =
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
/// The devnet's contract owner key (anvil account 7, `l1.owner`): it schedules changes through
/// the timelock.
pub const OWNER_KEY: &str = crate::DEV_PRIVATE_KEYS[7];
/// The devnet's security council key (anvil account 6, `l1.security_council`).
pub const COUNCIL_KEY: &str = crate::DEV_PRIVATE_KEYS[6];
/// Transactions `keel deploy` sends: the timelock, three contracts and `setProposer`.
pub const DEPLOY_TXS: u64 = 5;

/// Runs `keel <args…>` with the devnet config against `anvil`, `env` applied last, and no
/// inherited `KEEL_*` variables.
pub fn keel_command(
    keel: &KeelBinary,
    anvil: &Anvil,
    args: &[&str],
    env: &[(&str, &str)],
) -> eyre::Result<Output> {
    let mut cmd = Command::new(keel.path());
    cmd.args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KEEL_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("KEEL_L1__RPC_URL", anvil.rpc_url())
        .envs(env.iter().copied());
    cmd.output()
        .wrap_err_with(|| format!("cannot run {} {args:?}", keel.path().display()))
}

/// `keel withdraw claim --tx <l2_tx>` against `anvil`, reading the deployment from `node`'s
/// datadir and the proof from its RPC, sent with L1 `key`. The command's output, success or not.
pub fn claim_withdrawal(
    keel: &KeelBinary,
    anvil: &Anvil,
    node: &KeelNode,
    l2_tx: alloy::primitives::B256,
    key: &str,
) -> eyre::Result<Output> {
    keel_command(
        keel,
        anvil,
        &[
            "withdraw",
            "claim",
            "--tx",
            &l2_tx.to_string(),
            "--config",
            &default_config_path().to_string_lossy(),
            "--datadir",
            &node.datadir().to_string_lossy(),
            "--l2-rpc",
            &node.rpc_url(),
            "--key",
            key,
        ],
        &[],
    )
}

/// [`claim_withdrawal`], which must succeed.
pub fn claim_withdrawal_ok(
    keel: &KeelBinary,
    anvil: &Anvil,
    node: &KeelNode,
    l2_tx: alloy::primitives::B256,
    key: &str,
) -> eyre::Result<()> {
    let output = claim_withdrawal(keel, anvil, node, l2_tx, key)?;
    ensure!(
        output.status.success(),
        "keel withdraw claim --tx {l2_tx} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// Writes `configs/devnet.toml` with `extra` appended (a plugin section, say) to `path`.
pub fn devnet_config_with(path: &Path, extra: &str) -> eyre::Result<()> {
    let devnet = std::fs::read_to_string(default_config_path())?;
    std::fs::write(path, format!("{devnet}\n{extra}\n"))?;
    Ok(())
}

/// `keel deploy --config configs/devnet.toml --datadir <datadir>` against `anvil`; returns the
/// deployment file it wrote.
pub fn deploy(
    keel: &KeelBinary,
    anvil: &Anvil,
    datadir: &Path,
    env: &[(&str, &str)],
) -> eyre::Result<Deployment> {
    deploy_printing(keel, anvil, datadir, env).map(|(deployment, _)| deployment)
}

/// [`deploy`], also returning what `keel deploy` printed.
pub fn deploy_printing(
    keel: &KeelBinary,
    anvil: &Anvil,
    datadir: &Path,
    env: &[(&str, &str)],
) -> eyre::Result<(Deployment, String)> {
    let config = default_config_path();
    let datadir_arg = datadir.to_string_lossy();
    let output = keel_command(
        keel,
        anvil,
        &[
            "deploy",
            "--config",
            &config.to_string_lossy(),
            "--datadir",
            &datadir_arg,
        ],
        env,
    )?;
    ensure!(
        output.status.success(),
        "keel deploy failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((
        Deployment::load(&datadir.join(keel_l1::DEPLOYMENT_FILE))?,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

/// Moves `anvil`'s clock `seconds` ahead and mines a block on it.
pub async fn l1_warp(anvil: &Anvil, seconds: u64) -> eyre::Result<()> {
    let provider = anvil.provider();
    let _: serde_json::Value = provider
        .raw_request("evm_increaseTime".into(), (seconds,))
        .await?;
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await?;
    Ok(())
}

/// A call the owner makes to `target` through `deployment`'s timelock: scheduled by
/// [`OWNER_KEY`] with the full delay, then (after [`l1_warp`] past it) executed.
#[derive(Debug, Clone)]
pub struct TimelockedCall {
    /// The contract called.
    pub target: alloy::primitives::Address,
    /// Its calldata.
    pub data: alloy::primitives::Bytes,
    /// Tells this call apart from an identical one scheduled before.
    pub salt: alloy::primitives::B256,
}

impl TimelockedCall {
    /// `data` to `target`, salt zero.
    pub fn new(
        target: alloy::primitives::Address,
        data: impl Into<alloy::primitives::Bytes>,
    ) -> Self {
        Self {
            target,
            data: data.into(),
            salt: alloy::primitives::B256::ZERO,
        }
    }

    /// `KeelTimelock.schedule` of this call with `delay` seconds, from `from`.
    pub fn schedule<'a>(
        &self,
        timelock: &'a keel_l1::KeelTimelock::KeelTimelockInstance<DynProvider>,
        delay: u64,
    ) -> alloy::contract::SolCallBuilder<&'a DynProvider, keel_l1::KeelTimelock::scheduleCall> {
        timelock.schedule(
            self.target,
            alloy::primitives::U256::ZERO,
            self.data.clone(),
            alloy::primitives::B256::ZERO,
            self.salt,
            alloy::primitives::U256::from(delay),
        )
    }

    /// `KeelTimelock.execute` of this call.
    pub fn execute<'a>(
        &self,
        timelock: &'a keel_l1::KeelTimelock::KeelTimelockInstance<DynProvider>,
    ) -> alloy::contract::SolCallBuilder<&'a DynProvider, keel_l1::KeelTimelock::executeCall> {
        timelock.execute(
            self.target,
            alloy::primitives::U256::ZERO,
            self.data.clone(),
            alloy::primitives::B256::ZERO,
            self.salt,
        )
    }

    /// Schedules it as the owner, waits out the delay on `anvil`'s clock and returns the
    /// `execute` call, ready to `.call()` (to see a revert) or `.send()`.
    pub async fn ready<'a>(
        &self,
        anvil: &Anvil,
        deployment: &Deployment,
        owner: &'a keel_l1::KeelTimelock::KeelTimelockInstance<DynProvider>,
    ) -> eyre::Result<
        alloy::contract::SolCallBuilder<&'a DynProvider, keel_l1::KeelTimelock::executeCall>,
    > {
        let receipt = self
            .schedule(owner, deployment.exit_window)
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "schedule reverted");
        l1_warp(anvil, deployment.exit_window).await?;
        Ok(self.execute(owner))
    }
}

/// `deployment`'s timelock, sending as the owner ([`OWNER_KEY`]).
pub fn timelock_as_owner(
    anvil: &Anvil,
    deployment: &Deployment,
) -> eyre::Result<keel_l1::KeelTimelock::KeelTimelockInstance<DynProvider>> {
    Ok(keel_l1::KeelTimelock::new(
        deployment.timelock,
        l1_wallet(anvil, OWNER_KEY)?,
    ))
}

/// A settling sequencer with its exec prover: `keel deploy` into `datadir`, the node
/// ([`settling_node`], a batch at least every `commit_interval`) and `keel-prover --name exec
/// --dev-key` ([`DEV_PROVER_KEY`]) logging into `logs`.
pub async fn settling_sequencer(
    keel: &KeelBinary,
    anvil: &Anvil,
    datadir: &Path,
    logs: &Path,
    commit_interval: &str,
) -> eyre::Result<(KeelNode, Prover, Deployment)> {
    settling_sequencer_with(keel, anvil, datadir, logs, commit_interval, None).await
}

/// [`settling_sequencer`] launched from `config` instead of `configs/devnet.toml` when given
/// (see [`devnet_config_with`]).
pub async fn settling_sequencer_with(
    keel: &KeelBinary,
    anvil: &Anvil,
    datadir: &Path,
    logs: &Path,
    commit_interval: &str,
    config: Option<&Path>,
) -> eyre::Result<(KeelNode, Prover, Deployment)> {
    let deployment = deploy(keel, anvil, datadir, &[])?;
    let coordinator = free_loopback_addr()?;
    let mut options = settling_node(anvil, datadir, coordinator, commit_interval);
    if let Some(config) = config {
        options = options.config(config);
    }
    let node = KeelNode::spawn(options).await?;
    let prover = exec_prover(keel, logs, coordinator)?;
    Ok((node, prover, deployment))
}

/// `keel-prover --name exec --dev-key` ([`DEV_PROVER_KEY`], which the devnet's `DevVerifier`
/// accepts) serving the coordinator at `coordinator`, logging into `logs`.
pub fn exec_prover(
    keel: &KeelBinary,
    logs: &Path,
    coordinator: SocketAddr,
) -> eyre::Result<Prover> {
    Prover::start(
        &Prover::binary(keel)?,
        logs,
        coordinator,
        &["--name", "exec", "--dev-key", DEV_PROVER_KEY],
    )
}

/// Node options with settlement on against `anvil`, the proof coordinator on `coordinator`,
/// quick polling and a batch at least every `commit_interval`.
pub fn settling_node(
    anvil: &Anvil,
    datadir: &Path,
    coordinator: SocketAddr,
    commit_interval: &str,
) -> KeelNodeOptions {
    KeelNodeOptions::new()
        .datadir(datadir)
        .block_time("500ms")
        .env("KEEL_L1__ENABLED", "true")
        .env("KEEL_L1__RPC_URL", anvil.rpc_url())
        .env("KEEL_L1__CONFIRMATIONS", "1")
        .env("KEEL_L1__POLL_INTERVAL", "200ms")
        .env("KEEL_L1__TX_TIMEOUT", "5s")
        .env("KEEL_PROVER__LISTEN", coordinator.to_string())
        .env("KEEL_BATCHER__COMMIT_INTERVAL", commit_interval)
        .env("KEEL_BATCHER__SELF_CHECK", "true")
}

/// `configs/follower.toml` of this repository.
pub fn follower_config_path() -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/follower.toml");
    path.canonicalize().unwrap_or(path)
}

/// Node options for a follower (`configs/follower.toml`) of the contracts in `deployment` on
/// `anvil`, blobs from anvil's beacon API, quick polling, transactions forwarded to
/// `sequencer` (a JSON-RPC URL).
pub fn following_node(
    anvil: &Anvil,
    datadir: &Path,
    deployment: &Path,
    sequencer: &str,
) -> KeelNodeOptions {
    KeelNodeOptions::new()
        .config(follower_config_path())
        .datadir(datadir)
        .env("KEEL_L1__ENABLED", "true")
        .env("KEEL_L1__RPC_URL", anvil.rpc_url())
        .env("KEEL_L1__BEACON_URL", anvil.rpc_url())
        .env("KEEL_L1__DEPLOYMENT", deployment.as_os_str())
        .env("KEEL_L1__CONFIRMATIONS", "1")
        .env("KEEL_L1__POLL_INTERVAL", "200ms")
        .env("KEEL_FOLLOWER__SEQUENCER_URL", sequencer)
}

/// A provider on `anvil` that signs with `key`.
pub fn l1_wallet(anvil: &Anvil, key: &str) -> eyre::Result<DynProvider> {
    let signer: PrivateKeySigner = key.parse()?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.rpc_url().parse()?)
        .erased())
}

/// Polls `check` every 100 ms until it returns `Some`, or fails after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> eyre::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = eyre::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last_error = Some(error),
        }
        if Instant::now() > deadline {
            match last_error {
                Some(error) => {
                    bail!("timed out after {timeout:?} waiting for {what}; last error: {error:#}")
                }
                None => bail!("timed out after {timeout:?} waiting for {what}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Deposits `value` wei on L1 for L2 `recipient` (`CommonBridge.deposit`, sent through `l1`);
/// returns the L1 block it landed in.
pub async fn deposit_eth(
    l1: &DynProvider,
    deployment: &Deployment,
    recipient: alloy::primitives::Address,
    value: alloy::primitives::U256,
) -> eyre::Result<u64> {
    let receipt = keel_l1::CommonBridge::new(deployment.common_bridge, l1)
        .deposit(recipient)
        .value(value)
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "deposit reverted: {receipt:?}");
    receipt
        .block_number
        .ok_or_else(|| eyre::eyre!("the deposit's receipt names no block"))
}

/// The L1 nonce of `address`: every transaction it got mined, successful or not.
pub async fn l1_nonce(anvil: &Anvil, address: alloy::primitives::Address) -> eyre::Result<u64> {
    Ok(anvil.provider().get_transaction_count(address).await?)
}

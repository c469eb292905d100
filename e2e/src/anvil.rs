//! [`Anvil`]: a real L1 dev node (anvil 1.7.1 from the npm package
//! `@foundry-rs/anvil-linux-amd64`, installed by `contracts/build.sh`) as a child process.

use std::{
    fs::File,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::providers::{Provider, RootProvider};
use eyre::{WrapErr, bail};

use crate::{free_loopback_addr, log_tail};

/// The L1 chain id of the devnet (`configs/devnet.toml`, `e2e/devnet.sh`): anvil's default,
/// one of the dev chains the development verifier may be deployed on.
pub const L1_CHAIN_ID: u64 = 31_337;

/// Where `contracts/build.sh` (npm) puts the anvil binary.
pub fn anvil_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

/// How to start an [`Anvil`].
#[derive(Debug, Clone)]
pub struct AnvilOptions {
    /// `--chain-id` (default [`L1_CHAIN_ID`]).
    pub chain_id: u64,
    /// `--block-time` in seconds (default 1; `None`: a block per transaction).
    pub block_time: Option<f64>,
    /// `--state FILE`: load it at start if it exists, write it on SIGTERM/SIGINT, so a restart
    /// keeps the chain.
    pub state: Option<PathBuf>,
}

impl Default for AnvilOptions {
    fn default() -> Self {
        Self {
            chain_id: L1_CHAIN_ID,
            block_time: Some(1.0),
            state: None,
        }
    }
}

impl AnvilOptions {
    /// The default chain, mining a block for each transaction (no interval): for tests that
    /// drive the contracts directly and want each call's effect at once.
    pub fn automine() -> Self {
        Self {
            block_time: None,
            ..Self::default()
        }
    }
}

/// A running anvil, killed when dropped. Its output goes to `log`.
#[derive(Debug)]
pub struct Anvil {
    child: Option<Child>,
    addr: SocketAddr,
    options: AnvilOptions,
    log: PathBuf,
}

impl Anvil {
    /// Starts anvil on a free loopback port, logging to `log`, and waits until it answers.
    pub async fn spawn(options: AnvilOptions, log: impl Into<PathBuf>) -> eyre::Result<Self> {
        let mut anvil = Self {
            child: None,
            addr: free_loopback_addr()?,
            options,
            log: log.into(),
        };
        anvil.start().await?;
        Ok(anvil)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A provider without fillers.
    pub fn provider(&self) -> RootProvider {
        RootProvider::new_http(self.rpc_url().parse().expect("a loopback URL parses"))
    }

    /// The tail of its log.
    pub fn log_tail(&self) -> String {
        log_tail::tail(&self.log, log_tail::TAIL_LINES)
    }

    /// Stops it with SIGTERM (so `--state` is written) and waits for it to exit.
    pub fn stop(&mut self) -> eyre::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pid = child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .wrap_err("cannot run kill")?;
        if !status.success() {
            let _ = child.kill();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!("anvil did not exit within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Starts it again on the same port (and state file).
    pub async fn restart(&mut self) -> eyre::Result<()> {
        self.stop()?;
        self.start().await
    }

    async fn start(&mut self) -> eyre::Result<()> {
        let binary = anvil_path();
        if !binary.is_file() {
            bail!(
                "anvil is not installed at {}; run contracts/build.sh (npm ci) first",
                binary.display()
            );
        }
        let mut cmd = Command::new(&binary);
        cmd.args([
            "--host",
            "127.0.0.1",
            "--port",
            &self.addr.port().to_string(),
        ])
        .args(["--chain-id", &self.options.chain_id.to_string()])
        .args(["--hardfork", "prague"]);
        if let Some(seconds) = self.options.block_time {
            cmd.args(["--block-time", &seconds.to_string()]);
        }
        if let Some(state) = &self.options.state {
            cmd.arg("--state").arg(state);
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .wrap_err_with(|| format!("cannot open {}", self.log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        self.child = Some(cmd.spawn().wrap_err("cannot start anvil")?);
        let provider = self.provider();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_secs(1), provider.get_chain_id()).await
            {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("anvil exited at start ({status}):\n{}", self.log_tail());
            }
            if Instant::now() > deadline {
                bail!("anvil did not answer within 20 s:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

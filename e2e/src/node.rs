//! [`KeelNode`]: a `keel node` child process with its own datadir, ports and log file.

use std::{
    env,
    ffi::OsString,
    fmt::Write as _,
    fs::{self, File, OpenOptions},
    io::Write as _,
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider, ProviderBuilder, RootProvider},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use eyre::{WrapErr, bail, ensure, eyre};
use tempfile::TempDir;

use crate::{accounts::dev_accounts, binary::KeelBinary, log_tail};

/// How long [`KeelNode::spawn`] and [`KeelNode::restart`] wait for `eth_chainId` to answer.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How often readiness is polled.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Per-request timeout of a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Name of the log file (child stdout + stderr) inside the datadir.
pub const LOG_FILE_NAME: &str = "keel-e2e.log";

/// When set to a non-empty value other than `0`, datadirs are kept even when tests pass.
pub const KEEP_DATADIR_ENV: &str = "KEEL_E2E_KEEP_DATADIR";

/// Overrides [`default_config_path`] (run the suite against another config).
pub const CONFIG_ENV: &str = "KEEL_E2E_CONFIG";

/// `$KEEL_E2E_CONFIG` if set, else `configs/devnet.toml` of this repository.
pub fn default_config_path() -> PathBuf {
    if let Some(path) = env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devnet.toml");
    path.canonicalize().unwrap_or(path)
}

/// How to start a [`KeelNode`]. Everything has a default: `KeelNodeOptions::new()` runs the
/// devnet config in a fresh temporary datadir.
#[derive(Debug, Clone, Default)]
pub struct KeelNodeOptions {
    binary: Option<KeelBinary>,
    config: Option<PathBuf>,
    datadir: Option<PathBuf>,
    block_time: Option<String>,
    env: Vec<(OsString, OsString)>,
    args: Vec<OsString>,
    startup_timeout: Option<Duration>,
    rpc_addr: Option<SocketAddr>,
}

impl KeelNodeOptions {
    /// Defaults: located binary, `configs/devnet.toml`, temporary datadir, config's block time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs this binary instead of [`KeelBinary::locate`]'s.
    pub fn binary(mut self, binary: KeelBinary) -> Self {
        self.binary = Some(binary);
        self
    }

    /// Uses this config file instead of [`default_config_path`].
    pub fn config(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = Some(path.into());
        self
    }

    /// Uses (and creates if needed) this datadir; it is left in place when the node is dropped.
    pub fn datadir(mut self, path: impl Into<PathBuf>) -> Self {
        self.datadir = Some(path.into());
        self
    }

    /// Overrides the sequencer's block time (`KEEL_SEQUENCER__BLOCK_TIME`), e.g. `"200ms"`.
    pub fn block_time(mut self, block_time: impl Into<String>) -> Self {
        self.block_time = Some(block_time.into());
        self
    }

    /// Sets an extra environment variable for the child (applied last, so it wins).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Appends an extra argument after `node --config <file> --datadir <dir>`.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Serves JSON-RPC on `addr` (default: a free loopback port): for nodes that must know
    /// each other's URLs before they start.
    pub fn rpc_addr(mut self, addr: SocketAddr) -> Self {
        self.rpc_addr = Some(addr);
        self
    }

    /// How long to wait for the node to answer `eth_chainId` (default 30 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = Some(timeout);
        self
    }
}

/// Where the node keeps its data.
#[derive(Debug)]
enum DataDir {
    /// Owned by the harness, deleted on drop unless the test failed.
    Temp(TempDir),
    /// Given by the caller, never deleted.
    Given(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            Self::Temp(dir) => dir.path(),
            Self::Given(path) => path,
        }
    }
}

/// A running `keel node` child process.
///
/// The child listens for JSON-RPC on a free loopback port that stays the same across
/// [`restart`](Self::restart)s; its stdout and stderr go to [`log_path`](Self::log_path).
/// Dropping the handle kills the child (SIGKILL). If the test is panicking, or the node was handed
/// a failed result through [`finish`](Self::finish), the tail of the log is printed and the
/// datadir is kept for inspection.
#[derive(Debug)]
pub struct KeelNode {
    binary: KeelBinary,
    config: PathBuf,
    datadir: DataDir,
    rpc_addr: SocketAddr,
    metrics_addr: SocketAddr,
    block_time: Option<String>,
    env: Vec<(OsString, OsString)>,
    args: Vec<OsString>,
    startup_timeout: Duration,
    log_path: PathBuf,
    child: Option<Child>,
    last_exit: Option<ExitStatus>,
    starts: u32,
    failed: bool,
}

impl KeelNode {
    /// Starts `keel node --config <file> --datadir <dir>` and waits until it answers
    /// `eth_chainId`. On failure the error carries the tail of the node's log.
    pub async fn spawn(opts: KeelNodeOptions) -> eyre::Result<Self> {
        let binary = match opts.binary {
            Some(binary) => binary,
            None => KeelBinary::locate()?,
        };
        let config = opts.config.unwrap_or_else(default_config_path);
        if !config.is_file() {
            bail!("keel config {} does not exist", config.display());
        }
        let datadir = match opts.datadir {
            Some(path) => {
                fs::create_dir_all(&path)
                    .wrap_err_with(|| format!("cannot create datadir {}", path.display()))?;
                DataDir::Given(path)
            }
            None => DataDir::Temp(
                tempfile::Builder::new()
                    .prefix("keel-e2e-")
                    .tempdir()
                    .wrap_err("cannot create a temporary datadir")?,
            ),
        };
        let [rpc_addr, metrics_addr] = free_loopback_addrs()?;
        let rpc_addr = opts.rpc_addr.unwrap_or(rpc_addr);
        let log_path = datadir.path().join(LOG_FILE_NAME);

        let mut node = Self {
            binary,
            config,
            datadir,
            rpc_addr,
            metrics_addr,
            block_time: opts.block_time,
            env: opts.env,
            args: opts.args,
            startup_timeout: opts.startup_timeout.unwrap_or(DEFAULT_STARTUP_TIMEOUT),
            log_path,
            child: None,
            last_exit: None,
            starts: 0,
            failed: false,
        };
        node.start().await?;
        Ok(node)
    }

    /// The `keel` binary this node runs (also the CLI: `keel plugin …`).
    pub fn binary(&self) -> &KeelBinary {
        &self.binary
    }

    /// `http://127.0.0.1:<port>`: the JSON-RPC endpoint.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// [`rpc_url`](Self::rpc_url) as a parsed URL.
    pub fn url(&self) -> Url {
        self.rpc_url().parse().expect("a loopback http URL parses")
    }

    /// The JSON-RPC listen address.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    /// The metrics listen address given to the node.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_addr
    }

    /// The node's datadir.
    pub fn datadir(&self) -> &Path {
        self.datadir.path()
    }

    /// Calls `method` on the node's admin API (the test turns it on with
    /// `.env("KEEL_ADMIN__LISTEN", free_loopback_addr()?.to_string())`), authenticated with a
    /// JWT from the node's secret file, as `keel plugin swap` does; returns the result.
    pub async fn admin_call(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> eyre::Result<serde_json::Value> {
        let listen = self
            .env
            .iter()
            .find(|(key, _)| key == "KEEL_ADMIN__LISTEN")
            .map(|(_, value)| value.to_string_lossy().into_owned())
            .filter(|listen| !listen.is_empty())
            .ok_or_else(|| eyre!("the admin API is off: set KEEL_ADMIN__LISTEN for this node"))?;
        let secret = keel_rpc::JwtSecret::read(&self.datadir().join("admin-jwt.hex"))?;
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("http://{listen}"))
            .bearer_auth(secret.token_now())
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        match answer.get("result") {
            Some(result) => Ok(result.clone()),
            None => bail!("{method} on the admin API: {answer}"),
        }
    }

    /// The file that receives the child's stdout and stderr (appended to across restarts).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Whether the node's log (every start so far) contains `text`.
    pub fn log_contains(&self, text: &str) -> bool {
        std::fs::read_to_string(&self.log_path).is_ok_and(|log| log.contains(text))
    }

    /// Waits until the node's log contains `text`, at most `timeout`.
    pub async fn wait_for_log(&self, text: &str, timeout: Duration) -> eyre::Result<()> {
        crate::settlement::eventually(&format!("{text:?} in the node's log"), timeout, || async {
            Ok(self.log_contains(text).then_some(()))
        })
        .await
    }

    /// The child's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// An HTTP provider with alloy's recommended fillers (gas, nonce, chain id) and no wallet.
    /// Each call makes a new provider (and so new connections).
    pub fn provider(&self) -> DynProvider {
        ProviderBuilder::new().connect_http(self.url()).erased()
    }

    /// A provider with no fillers at all, for raw JSON-RPC requests.
    pub fn root_provider(&self) -> RootProvider {
        RootProvider::new_http(self.url())
    }

    /// A provider with the recommended fillers that signs with `signer`.
    pub fn wallet_provider(&self, signer: PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(signer)
            .connect_http(self.url())
            .erased()
    }

    /// A provider that signs with all ten dev accounts (account 0 by default; the others are
    /// picked by the request's `from`).
    pub fn dev_provider(&self) -> DynProvider {
        let mut accounts = dev_accounts().into_iter();
        let mut wallet = EthereumWallet::new(accounts.next().expect("ten dev accounts"));
        for signer in accounts {
            wallet.register_signer(signer);
        }
        ProviderBuilder::new()
            .wallet(wallet)
            .connect_http(self.url())
            .erased()
    }

    /// Whether the child is alive (false after it exited or was killed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.poll_exit(), Ok(None))
    }

    /// Kills the node with SIGKILL (no chance to flush or clean up) and reaps it.
    /// Fails if the node had already exited on its own.
    pub fn kill9(&mut self) -> eyre::Result<ExitStatus> {
        if let Some(status) = self.poll_exit()? {
            self.failed = true;
            bail!(
                "keel had already exited ({status}) before kill9\n{}",
                self.log_report()
            );
        }
        let mut child = self
            .child
            .take()
            .ok_or_else(|| eyre!("keel is not running"))?;
        child.kill().wrap_err("cannot SIGKILL keel")?;
        let status = child.wait().wrap_err("cannot reap keel")?;
        self.last_exit = Some(status);
        self.log_marker(&format!("killed with SIGKILL ({status})"));
        Ok(status)
    }

    /// Waits until the node exits on its own, at most `timeout`; returns its exit status.
    pub async fn wait_exit(&mut self, timeout: Duration) -> eyre::Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.poll_exit()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!(
                    "keel did not exit within {timeout:?}\n{}",
                    self.log_report()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Sends SIGTERM (a graceful stop, as a service manager does) and waits for the exit, at
    /// most `timeout`; returns the exit status and how long the stop took.
    pub async fn terminate(&mut self, timeout: Duration) -> eyre::Result<(ExitStatus, Duration)> {
        let pid = self.pid().ok_or_else(|| eyre!("keel is not running"))?;
        let started = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .wrap_err("cannot run kill -TERM")?;
        ensure!(sent.success(), "kill -TERM {pid} failed ({sent})");
        self.log_marker("sent SIGTERM");
        let status = self.wait_exit(timeout).await?;
        Ok((status, started.elapsed()))
    }

    /// Starts the node again on the same datadir, config and ports, and waits until it answers.
    /// A node that is still running is SIGKILLed first. Providers made before the restart keep
    /// working (same URL), but fresh ones avoid reusing connections to the dead process.
    pub async fn restart(&mut self) -> eyre::Result<()> {
        if self.child.is_some() && self.poll_exit()?.is_none() {
            self.kill9()?;
        }
        self.start().await
    }

    /// Hands back `result`; when it is an error, prints the node log's tail (stderr), keeps the
    /// datadir and adds the log's path to the error. Call it at the end of a test with the
    /// outcome of the test body, so failures that are not panics get the node's side too.
    pub fn finish<T>(mut self, result: eyre::Result<T>) -> eyre::Result<T> {
        result.map_err(|err| {
            self.failed = true;
            let _ = self.poll_exit();
            eprintln!("{}", self.log_report());
            err.wrap_err(format!(
                "keel e2e test failed; node log {} (tail printed above), datadir kept at {}",
                self.log_path.display(),
                self.datadir.path().display()
            ))
        })
    }

    /// The log's path, the child's exit status if it exited, and the log's last lines.
    pub fn log_report(&self) -> String {
        let mut report = String::new();
        let _ = writeln!(
            report,
            "---- keel node log: {} ----",
            self.log_path.display()
        );
        if self.child.is_none()
            && let Some(status) = self.last_exit
        {
            let _ = writeln!(report, "(keel is not running; last exit: {status})");
        }
        let _ = writeln!(
            report,
            "{}",
            log_tail::tail(&self.log_path, log_tail::TAIL_LINES)
        );
        let _ = write!(report, "---- end of keel node log ----");
        report
    }

    async fn start(&mut self) -> eyre::Result<()> {
        self.starts += 1;
        let mut cmd = Command::new(self.binary.path());
        cmd.arg("node")
            .arg("--config")
            .arg(&self.config)
            .arg("--datadir")
            .arg(self.datadir.path())
            .args(&self.args);
        // Hermetic: inherited KEEL_* settings would silently change what is tested.
        for (key, _) in env::vars_os() {
            if key.to_string_lossy().starts_with("KEEL_") {
                cmd.env_remove(key);
            }
        }
        // Fixed ports of the config would collide between tests running at once: the admin API,
        // the status page and the proof coordinator are off unless a test turns them on (with `env`, applied
        // below, on a free port), and so is L1 settlement (a test starts its own anvil).
        cmd.env("KEEL_RPC__LISTEN", self.rpc_addr.to_string())
            .env("KEEL_METRICS__LISTEN", self.metrics_addr.to_string())
            .env("KEEL_ADMIN__LISTEN", "")
            .env("KEEL_STATUS__LISTEN", "")
            .env("KEEL_PROVER__LISTEN", "")
            .env("KEEL_L1__ENABLED", "false");
        if let Some(block_time) = &self.block_time {
            cmd.env("KEEL_SEQUENCER__BLOCK_TIME", block_time);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));

        self.log_marker(&format!("start #{}: {cmd:?}", self.starts));
        let log = self.open_log()?;
        let stderr = log
            .try_clone()
            .wrap_err("cannot duplicate the log file handle")?;
        cmd.stdin(Stdio::null()).stdout(log).stderr(stderr);

        let child = cmd
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", self.binary.path().display()))?;
        self.child = Some(child);
        self.last_exit = None;
        self.wait_ready().await
    }

    /// Polls `eth_chainId` until it answers, the child exits, or the startup timeout passes.
    async fn wait_ready(&mut self) -> eyre::Result<()> {
        let provider = self.root_provider();
        let deadline = Instant::now() + self.startup_timeout;
        let mut last_error;
        loop {
            if let Some(status) = self.poll_exit()? {
                self.failed = true;
                bail!(
                    "keel exited during startup ({status}) before answering eth_chainId on {}\n{}",
                    self.rpc_url(),
                    self.log_report()
                );
            }
            match tokio::time::timeout(PROBE_TIMEOUT, provider.get_chain_id()).await {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(err)) => last_error = err.to_string(),
                Err(_) => last_error = format!("eth_chainId took longer than {PROBE_TIMEOUT:?}"),
            }
            if Instant::now() >= deadline {
                self.failed = true;
                if let Some(mut child) = self.child.take() {
                    let _ = child.kill();
                    self.last_exit = child.wait().ok();
                }
                bail!(
                    "keel did not answer eth_chainId on {} within {:?} (last error: {last_error})\n{}",
                    self.rpc_url(),
                    self.startup_timeout,
                    self.log_report()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// `Some(status)` if the child has exited (it is then reaped and forgotten).
    fn poll_exit(&mut self) -> eyre::Result<Option<ExitStatus>> {
        let Some(child) = self.child.as_mut() else {
            return Ok(self.last_exit);
        };
        match child
            .try_wait()
            .wrap_err("cannot poll the keel child process")?
        {
            Some(status) => {
                self.child = None;
                self.last_exit = Some(status);
                self.log_marker(&format!("exited on its own ({status})"));
                Ok(Some(status))
            }
            None => Ok(None),
        }
    }

    fn open_log(&self) -> eyre::Result<File> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .wrap_err_with(|| format!("cannot open the node log {}", self.log_path.display()))
    }

    /// Appends a harness line to the log, so restarts and kills are visible in it.
    fn log_marker(&self, what: &str) {
        if let Ok(mut log) = self.open_log() {
            let _ = writeln!(log, "==== keel-e2e: {what} ====");
        }
    }
}

impl Drop for KeelNode {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            self.last_exit = child.wait().ok();
        }
        let keep_requested =
            env::var_os(KEEP_DATADIR_ENV).is_some_and(|v| !v.is_empty() && v != "0");
        if panicking {
            eprintln!("{}", self.log_report());
        }
        if panicking || self.failed || keep_requested {
            if let DataDir::Temp(dir) = &mut self.datadir {
                dir.disable_cleanup(true);
            }
            eprintln!(
                "keel-e2e: kept the node's datadir {}",
                self.datadir.path().display()
            );
        }
    }
}

/// Where test listeners get their ports: below Linux's ephemeral range (32768–60999), so that
/// no outgoing connection (a provider, anvil, a prover) can take a port between the moment it
/// is picked and the moment the node binds it, which happened with ports the OS picked.
const TEST_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// The next port this process hands out: each is handed out once (a counter starting at a
/// place derived from the process id, so concurrent test processes start apart).
static NEXT_PORT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A loopback address with a port that was free a moment ago and that this process has not
/// handed out before (for an extra listener, such as the admin API).
pub fn free_loopback_addr() -> eyre::Result<SocketAddr> {
    use std::sync::atomic::Ordering;
    let span = u32::from(TEST_PORTS.end - TEST_PORTS.start);
    let _ = NEXT_PORT.compare_exchange(
        0,
        std::process::id().wrapping_mul(997) % span + 1,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..span {
        let offset = NEXT_PORT.fetch_add(1, Ordering::Relaxed) % span;
        let port = TEST_PORTS.start + offset as u16;
        if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            return Ok(listener.local_addr()?);
        }
    }
    eyre::bail!("no free port on 127.0.0.1 in {TEST_PORTS:?}")
}

/// Two distinct free loopback addresses (see [`free_loopback_addr`]).
fn free_loopback_addrs() -> eyre::Result<[SocketAddr; 2]> {
    Ok([free_loopback_addr()?, free_loopback_addr()?])
}

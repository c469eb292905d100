//! A real browser for page tests: headless Chromium (Debian's `chromium`, installed by
//! `e2e/setup.sh`) driven over the Chrome DevTools Protocol.
//!
//! Only the four CDP calls the tests need are wrapped (navigate, evaluate, screenshot, and the
//! generic [`Browser::call`]); a CDP client crate would bring a browser download and far more
//! than that.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use base64::Engine as _;
use eyre::{WrapErr, bail, eyre};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::{WebSocketStream, client_async, tungstenite::Message};

use crate::free_loopback_addr;

/// Names the browser binary to run instead of the first of [`BROWSER_NAMES`] on `PATH`.
pub const BROWSER_ENV: &str = "KEEL_CHROMIUM";
/// Browser binaries looked for on `PATH`, in order.
pub const BROWSER_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// A headless Chromium with one page, killed on drop.
#[derive(Debug)]
pub struct Browser {
    _child: KilledOnDrop,
    page: WebSocketStream<TcpStream>,
    next_id: u64,
    _profile: TempDir,
}

/// The browser binary: `$KEEL_CHROMIUM`, else the first of [`BROWSER_NAMES`] on `PATH`.
pub fn browser_path() -> eyre::Result<PathBuf> {
    if let Some(path) = std::env::var_os(BROWSER_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let paths = std::env::var_os("PATH").unwrap_or_default();
    for name in BROWSER_NAMES {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "no Chromium found (looked for {BROWSER_NAMES:?} on PATH and ${BROWSER_ENV}); \
         e2e/setup.sh installs Debian's `chromium`"
    )
}

impl Browser {
    /// Starts the browser with a `width`×`height` window, its log in `log`.
    pub async fn launch(width: u32, height: u32, log: &Path) -> eyre::Result<Self> {
        let profile = tempfile::tempdir()?;
        let debugging = free_loopback_addr()?;
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(browser_path()?)
            .args([
                "--headless=new",
                // Root in a container has no user namespace for the sandbox.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                &format!("--window-size={width},{height}"),
                &format!("--remote-debugging-port={}", debugging.port()),
                &format!("--user-data-dir={}", profile.path().display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .wrap_err("cannot start Chromium")?;
        // Killed on every early return below too.
        let child = KilledOnDrop(child);
        let page_url = async {
            let client = reqwest::Client::new();
            let list = format!("http://{debugging}/json/list");
            for _ in 0..300 {
                if let Ok(response) = client.get(&list).send().await
                    && let Ok(targets) = response.json::<Vec<Value>>().await
                    && let Some(url) = targets
                        .iter()
                        .find(|t| t["type"] == "page")
                        .and_then(|t| t["webSocketDebuggerUrl"].as_str())
                {
                    return Ok(url.to_owned());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(eyre!("Chromium opened no page to drive within 30 s"))
        }
        .await?;
        let stream = TcpStream::connect(debugging).await?;
        let (page, _) = client_async(page_url.as_str(), stream).await?;
        let mut browser = Self {
            _child: child,
            page,
            next_id: 0,
            _profile: profile,
        };
        browser.call("Page.enable", json!({})).await?;
        browser.call("Runtime.enable", json!({})).await?;
        Ok(browser)
    }

    /// One CDP command on the page; its `result`. Events that arrive meanwhile are dropped.
    pub async fn call(&mut self, method: &str, params: Value) -> eyre::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({"id": id, "method": method, "params": params});
        self.page.send(Message::text(command.to_string())).await?;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(60), self.page.next())
                .await
                .map_err(|_| eyre!("{method}: no answer from Chromium in 60 s"))?
                .ok_or_else(|| eyre!("{method}: Chromium closed the connection"))??;
            let Message::Text(text) = message else {
                continue;
            };
            let message: Value = serde_json::from_str(&text)?;
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    bail!("{method}: {error}");
                }
                return Ok(message["result"].clone());
            }
        }
    }

    /// Opens `url` in the page.
    pub async fn navigate(&mut self, url: &str) -> eyre::Result<()> {
        let result = self.call("Page.navigate", json!({"url": url})).await?;
        if let Some(error) = result.get("errorText") {
            bail!("cannot open {url}: {error}");
        }
        Ok(())
    }

    /// The value of the JavaScript expression `expression` in the page (awaited if a promise).
    pub async fn eval(&mut self, expression: &str) -> eyre::Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await?;
        if let Some(exception) = result.get("exceptionDetails") {
            bail!("`{expression}` threw: {exception}");
        }
        Ok(result["result"]["value"].clone())
    }

    /// Waits until `expression` is truthy in the page, checking every 250 ms for `timeout`; its
    /// value. An expression that throws (the page is still loading) counts as not yet.
    pub async fn wait_until(
        &mut self,
        what: &str,
        expression: &str,
        timeout: Duration,
    ) -> eyre::Result<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let last = match self.eval(expression).await {
                Ok(value)
                    if !(value.is_null()
                        || value == json!(false)
                        || value == json!("")
                        || value == json!(0)) =>
                {
                    return Ok(value);
                }
                Ok(value) => value.to_string(),
                Err(error) => format!("an error: {error}"),
            };
            if tokio::time::Instant::now() > deadline {
                bail!("{what}: still not so after {timeout:?} (`{expression}` is {last})");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A PNG of the whole page, written to `path`.
    pub async fn screenshot(&mut self, path: &Path) -> eyre::Result<()> {
        let result = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await?;
        let data = result["data"]
            .as_str()
            .ok_or_else(|| eyre!("Page.captureScreenshot returned no data"))?;
        let png = base64::engine::general_purpose::STANDARD.decode(data)?;
        std::fs::write(path, png).wrap_err_with(|| format!("cannot write {}", path.display()))
    }
}

/// The browser process, killed and reaped when dropped.
#[derive(Debug)]
struct KilledOnDrop(Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

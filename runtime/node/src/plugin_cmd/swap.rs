//! `keel plugin swap SLOT FILE.wasm`: load a component into a slot of a running node through
//! its admin API (`keel_loadPlugin`), authenticated with the node's JWT secret.

use std::{path::PathBuf, time::Duration};

use eyre::{WrapErr, bail, eyre};
use keel_config::Config;
use keel_plugin_host::{PluginSlot, read_component};
use keel_rpc::JwtSecret;
use serde_json::{Value, json};

/// Where the admin API is and how to authenticate: from the flags, else from the node's config.
pub(crate) struct AdminTarget {
    pub(crate) url: String,
    pub(crate) secret: JwtSecret,
}

impl AdminTarget {
    /// `admin` and `jwt_secret` win over what `config` says (`admin.listen`,
    /// `admin.jwt_secret`, or `<datadir>/admin-jwt.hex`).
    pub(crate) fn resolve(
        config: Option<&Config>,
        admin: Option<String>,
        jwt_secret: Option<PathBuf>,
    ) -> eyre::Result<Self> {
        let url = match (admin, config.and_then(|c| c.admin.listen)) {
            (Some(url), _) => url,
            (None, Some(listen)) => format!("http://{listen}"),
            (None, None) => bail!(
                "no admin API address: pass --admin http://HOST:PORT, or --config with [admin] listen set"
            ),
        };
        let secret_path = jwt_secret
            .or_else(|| config.and_then(|c| c.admin.jwt_secret.clone()))
            .or_else(|| config.map(|c| c.node.datadir.join(crate::launch::ADMIN_JWT_FILE)))
            .ok_or_else(|| eyre!("no JWT secret: pass --jwt-secret FILE, or --config"))?;
        let secret = JwtSecret::read(&secret_path)?;
        Ok(Self { url, secret })
    }

    /// Calls `method` with `params` and returns its result, or the node's error.
    pub(crate) async fn call(&self, method: &str, params: Value) -> eyre::Result<Value> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .wrap_err("cannot build an HTTP client")?;
        let response = client
            .post(&self.url)
            .bearer_auth(self.secret.token_now())
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .wrap_err_with(|| format!("cannot reach the admin API at {}; is the node running with [admin] listen set?", self.url))?;
        let status = response.status();
        let body: Value = response.json().await.wrap_err_with(|| {
            format!(
                "the admin API at {} answered {status} without JSON",
                self.url
            )
        })?;
        if let Some(error) = body.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)");
            bail!("{method} failed: {message}");
        }
        body.get("result")
            .cloned()
            .ok_or_else(|| eyre!("{method}: the answer has neither result nor error"))
    }
}

/// What to swap in.
pub(crate) struct SwapRequest {
    pub(crate) slot: PluginSlot,
    pub(crate) file: PathBuf,
    pub(crate) activate_at: Option<u64>,
    /// `None`: the slot's settings from the node's config.
    pub(crate) settings: Option<Vec<(String, String)>>,
    pub(crate) fuel: Option<u64>,
    pub(crate) memory_mb: Option<u64>,
}

/// Sends the component's bytes (so the CLI may run on another machine than the node) with the
/// name and version of its manifest, and prints when it becomes active.
pub(crate) async fn run(target: &AdminTarget, request: SwapRequest) -> eyre::Result<()> {
    let (id, bytes) = read_component(&request.file)?;
    let mut params = json!({
        "slot": request.slot.as_str(),
        "wasm": format!("0x{}", alloy_primitives::hex::encode(&bytes)),
        "name": id.name,
        "version": id.version,
    });
    if let Some(at) = request.activate_at {
        params["activateAt"] = json!(at);
    }
    if let Some(settings) = request.settings {
        params["config"] = settings
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
    }
    if let Some(fuel) = request.fuel {
        params["fuel"] = json!(fuel);
    }
    if let Some(memory_mb) = request.memory_mb {
        params["memoryMb"] = json!(memory_mb);
    }
    let result = target.call("keel_loadPlugin", json!([params])).await?;
    let at = result
        .get("activatesAt")
        .and_then(Value::as_str)
        .and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok())
        .ok_or_else(|| eyre!("keel_loadPlugin answered without activatesAt: {result}"))?;
    println!(
        "{id} accepted for slot {}: active from block {at}",
        request.slot
    );
    if let Some(replaced) = result.get("replaced").filter(|r| !r.is_null()) {
        println!("  replaces the swap that was pending: {replaced}");
    }
    let ms = |key: &str| result.get(key).and_then(Value::as_f64).unwrap_or_default();
    println!(
        "  compiled in {:.1} ms, conformance run in {:.1} ms",
        ms("compileMs"),
        ms("conformanceMs")
    );
    for call in result
        .get("conformance")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        println!(
            "  {:<38} fuel {:>12}",
            call.get("input").and_then(Value::as_str).unwrap_or("?"),
            call.get("fuel").and_then(Value::as_u64).unwrap_or_default()
        );
    }
    Ok(())
}

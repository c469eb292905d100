//! The app proving key, generated once per VM configuration and kept on disk.
//!
//! App keys depend only on the app config (`openvm.toml`: extensions and system parameters),
//! not on the guest's code, so the file is named after a hash of that config and of the
//! OpenVM version: an edited config or another OpenVM release gets keys of its own, and a
//! rebuilt guest reuses them. The loaded key's config is compared with the wanted one before
//! it is used.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use alloy_primitives::keccak256;
use openvm_sdk::{
    config::AppConfig,
    fs::{read_object_from_file, write_object_to_file},
    keygen::AppProvingKey,
};
use openvm_sdk_config::SdkVmConfig;
use tracing::info;

use crate::{OPENVM_VERSION, OpenVmError, OpenVmResult};

/// Where the key for the config serialised as `json` lives in `cache_dir`.
fn key_path(cache_dir: &Path, json: &str) -> PathBuf {
    let id = keccak256([json.as_bytes(), OPENVM_VERSION.as_bytes()].concat());
    cache_dir.join(format!(
        "app-{}.pk",
        &alloy_primitives::hex::encode(id)[..16]
    ))
}

fn config_json(config: &AppConfig<SdkVmConfig>, cache_dir: &Path) -> OpenVmResult<String> {
    serde_json::to_string(config).map_err(|e| OpenVmError::Keys {
        path: cache_dir.to_owned(),
        reason: format!("cannot serialise the app config: {e}"),
    })
}

/// The app proving key for `config`: read from `cache_dir`, or generated and written there.
pub(crate) fn load_or_keygen(
    cache_dir: &Path,
    config: &AppConfig<SdkVmConfig>,
) -> OpenVmResult<AppProvingKey<SdkVmConfig>> {
    let wanted = config_json(config, cache_dir)?;
    let path = key_path(cache_dir, &wanted);
    let keys_error = |reason: String| OpenVmError::Keys {
        path: path.clone(),
        reason,
    };
    let started = Instant::now();
    if path.exists() {
        let pk: AppProvingKey<SdkVmConfig> =
            read_object_from_file(&path).map_err(|e| keys_error(format!("unreadable: {e}")))?;
        if config_json(&pk.app_config(), cache_dir)? != wanted {
            return Err(keys_error(
                "holds keys for another app config than openvm.toml's".to_owned(),
            ));
        }
        info!(target: "keel::openvm", path = %path.display(), load_ms = started.elapsed().as_millis() as u64, "app proving key loaded");
        return Ok(pk);
    }
    let pk = AppProvingKey::keygen(config.clone())
        .map_err(|e| keys_error(format!("keygen failed: {e:?}")))?;
    let keygen_ms = started.elapsed().as_millis() as u64;
    std::fs::create_dir_all(cache_dir).map_err(|e| keys_error(format!("cannot create: {e}")))?;
    // Written under a temporary name and renamed, so a crash never leaves half a key.
    let temp = path.with_extension("pk.tmp");
    write_object_to_file(&temp, &pk).map_err(|e| keys_error(format!("cannot write: {e}")))?;
    std::fs::rename(&temp, &path).map_err(|e| keys_error(format!("cannot write: {e}")))?;
    let bytes = std::fs::metadata(&path)
        .map(|m| m.len())
        .unwrap_or_default();
    info!(target: "keel::openvm", path = %path.display(), keygen_ms, bytes, "app proving key generated and cached");
    Ok(pk)
}

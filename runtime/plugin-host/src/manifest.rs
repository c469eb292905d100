//! Reading a component from disk with the manifest `plugins/build.sh` and `keel plugin build`
//! write next to it (`<name>.toml`: name, version, world, sha256, size).

use std::path::Path;

use serde::Deserialize;

use crate::{PluginError, PluginId, PluginResult};

/// The fields of a manifest the host uses.
#[derive(Debug, Deserialize)]
struct Manifest {
    name: String,
    version: String,
}

/// Reads the component at `path` and names it from its manifest (`<file>.toml`), or, without
/// one, from the file name as `unversioned`.
pub fn read_component(path: &Path) -> PluginResult<(PluginId, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
        path: path.to_owned(),
        source,
    })?;
    let manifest = std::fs::read_to_string(path.with_extension("toml"))
        .ok()
        .and_then(|text| toml::from_str::<Manifest>(&text).ok());
    let id = match manifest {
        Some(m) => PluginId::new(m.name, m.version, &bytes),
        None => {
            let stem = path
                .file_stem()
                .map_or_else(|| "plugin".to_owned(), |s| s.to_string_lossy().into_owned());
            PluginId::new(stem, "unversioned", &bytes)
        }
    };
    Ok((id, bytes))
}

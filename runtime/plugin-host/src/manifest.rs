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
    let read_error = |source| PluginError::Read {
        path: path.to_owned(),
        source,
    };
    // The size first: a path may name anything (a huge file, a device).
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > crate::MAX_COMPONENT_BYTES {
        return Err(PluginError::TooLarge {
            path: path.to_owned(),
            size,
            max: crate::MAX_COMPONENT_BYTES,
        });
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path).map_err(read_error)?,
            crate::MAX_COMPONENT_BYTES + 1,
        ),
        &mut bytes,
    )
    .map_err(read_error)?;
    if bytes.len() as u64 > crate::MAX_COMPONENT_BYTES {
        return Err(PluginError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            max: crate::MAX_COMPONENT_BYTES,
        });
    }
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

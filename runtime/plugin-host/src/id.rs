//! Plugin identity.

use sha2::{Digest, Sha256};

/// A plugin as it is logged, recorded per block and reported: name, version and the sha256 of
/// its component bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PluginId {
    /// Name (from the manifest or the file name).
    pub name: String,
    /// Version (from the manifest), or `unversioned`.
    pub version: String,
    /// sha256 of the `.wasm` bytes.
    pub code_hash: [u8; 32],
}

impl PluginId {
    /// The identity of `bytes` published as `name`@`version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>, bytes: &[u8]) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            code_hash: Sha256::digest(bytes).into(),
        }
    }
}

impl core::fmt::Display for PluginId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let h = &self.code_hash;
        write!(
            f,
            "{}@{} (sha256 {:02x}{:02x}{:02x}{:02x}…)",
            self.name, self.version, h[0], h[1], h[2], h[3]
        )
    }
}

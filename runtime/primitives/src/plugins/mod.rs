//! Plugins as the chain knows them without running them: slots, identities, the records of
//! what shaped each block ([`records`]), and the admin interface that loads one ([`admin`]).

pub mod admin;
pub mod records;

pub use admin::{
    ComponentSource, ConformanceCall, LoadPlugin, LoadPluginError, LoadedPlugin, PluginAdmin,
};
pub use records::{
    BlockPlugin, PluginActivation, PluginRecords, PluginSource, PluginSpec, RecordsError,
};

use alloy_primitives::B256;
use alloy_rlp::{RlpDecodable, RlpEncodable};
use sha2::{Digest, Sha256};

/// One of the three places a plugin can shape the chain. Each slot implements one WIT world of
/// `wit/v0.1.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluginSlot {
    /// Orders a block's transactions (world `ordering-policy`).
    Ordering,
    /// Sets the next block's base fee (world `fee-rule`).
    Fee,
    /// Decides deposits and withdrawals (world `bridge-rules`).
    Bridge,
}

impl PluginSlot {
    /// Every slot, in a fixed order.
    pub const ALL: [Self; 3] = [Self::Ordering, Self::Fee, Self::Bridge];

    /// The slot's name in config (`[plugins.<name>]`), RPC and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ordering => "ordering",
            Self::Fee => "fee",
            Self::Bridge => "bridge",
        }
    }

    /// The WIT world a component in this slot must implement.
    pub const fn world(self) -> &'static str {
        match self {
            Self::Ordering => "ordering-policy",
            Self::Fee => "fee-rule",
            Self::Bridge => "bridge-rules",
        }
    }

    /// A stable one-byte tag (database keys).
    pub const fn tag(self) -> u8 {
        match self {
            Self::Ordering => 0,
            Self::Fee => 1,
            Self::Bridge => 2,
        }
    }

    /// The slot of a tag written by [`Self::tag`].
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Self::Ordering),
            1 => Some(Self::Fee),
            2 => Some(Self::Bridge),
            _ => None,
        }
    }
}

impl core::fmt::Display for PluginSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A slot name that is not `ordering`, `fee` or `bridge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSlot(pub String);

impl core::fmt::Display for UnknownSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "unknown plugin slot {:?}; expected \"ordering\", \"fee\" or \"bridge\"",
            self.0
        )
    }
}

impl core::error::Error for UnknownSlot {}

impl core::str::FromStr for PluginSlot {
    type Err = UnknownSlot;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|slot| slot.as_str() == s)
            .ok_or_else(|| UnknownSlot(s.to_owned()))
    }
}

/// A plugin as it is logged, recorded per block and reported: name, version and the sha256 of
/// its component bytes (the hash is what identifies it; name and version are for people).
#[derive(Debug, Clone, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable)]
pub struct PluginId {
    /// Name (from the manifest or the file name).
    pub name: String,
    /// Version (from the manifest), or `unversioned`.
    pub version: String,
    /// sha256 of the `.wasm` bytes.
    pub code_hash: B256,
}

impl PluginId {
    /// The identity of `bytes` published as `name`@`version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>, bytes: &[u8]) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            code_hash: code_hash(bytes),
        }
    }
}

/// The sha256 of a component's bytes: the hash Keel identifies plugins by.
pub fn code_hash(bytes: &[u8]) -> B256 {
    B256::from(<[u8; 32]>::from(Sha256::digest(bytes)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_names_round_trip() {
        for slot in PluginSlot::ALL {
            assert_eq!(slot.as_str().parse::<PluginSlot>(), Ok(slot));
            assert_eq!(PluginSlot::from_tag(slot.tag()), Some(slot));
        }
        let err = "fees".parse::<PluginSlot>().unwrap_err();
        assert!(err.to_string().contains("\"fees\""), "{err}");
    }

    #[test]
    fn id_rlp_round_trips_and_hashes_the_bytes() {
        let id = PluginId::new("fee-fixed", "0.1.0", b"\0asm");
        assert_eq!(
            id.code_hash.to_string(),
            // sha256 of the four bytes 00 61 73 6d.
            "0xcd5d4935a48c0672cb06407bb443bc0087aff947c6b864bac886982c73b3027f"
        );
        let encoded = alloy_rlp::encode(&id);
        let decoded: PluginId = alloy_rlp::Decodable::decode(&mut encoded.as_slice()).unwrap();
        assert_eq!(decoded, id);
    }
}

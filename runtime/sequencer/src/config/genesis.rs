//! `[genesis]`: block 0 and the accounts it funds.

use std::{collections::BTreeMap, fmt};

use alloy_primitives::{Address, Bytes, U256};
use serde::{
    Deserialize, Deserializer,
    de::{Error as _, MapAccess, Visitor},
};

use keel_units::{Violation, ensure};

/// Smallest `genesis.gas_limit`: 5000, geth's `MinGasLimit`.
pub const MIN_GAS_LIMIT: u64 = 5000;
/// Largest `genesis.gas_limit`: 2⁶³ − 1, EIP-1985's bound (gas values are signed 64-bit in some
/// clients and tools).
pub const MAX_GAS_LIMIT: u64 = i64::MAX as u64;
/// Largest `genesis.extra_data`: 32 bytes, Ethereum's `MaximumExtraDataSize`.
pub const MAX_EXTRA_DATA_BYTES: usize = 32;

/// Default `genesis.timestamp`: 0 (1970-01-01). Keeps a genesis hash reproducible across runs;
/// the first block after it gets the wall-clock time.
pub const DEFAULT_GENESIS_TIMESTAMP: u64 = 0;
/// Default `genesis.gas_limit`: 30 000 000, Ethereum mainnet's until 2024 and what anvil and
/// hardhat use, so gas estimates match what developers expect.
pub const DEFAULT_GAS_LIMIT: u64 = 30_000_000;
/// Default `genesis.base_fee`: 1 gwei (1 000 000 000 wei), the initial base fee of geth's and
/// anvil's dev chains, and EIP-1559's `INITIAL_BASE_FEE`.
pub const DEFAULT_GENESIS_BASE_FEE: u64 = 1_000_000_000;

/// `[genesis]`: block 0 and its state.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisConfig {
    /// Genesis timestamp, seconds since the Unix epoch (default [`DEFAULT_GENESIS_TIMESTAMP`]).
    pub timestamp: u64,
    /// Gas limit of the genesis block and of every block after it (default
    /// [`DEFAULT_GAS_LIMIT`]; between [`MIN_GAS_LIMIT`] and [`MAX_GAS_LIMIT`]).
    pub gas_limit: u64,
    /// Base fee per gas of the genesis block, wei (default [`DEFAULT_GENESIS_BASE_FEE`]; within
    /// `[fees.min_base_fee, fees.max_base_fee]`). Takes unit strings such as `"1 gwei"`.
    #[serde(deserialize_with = "keel_units::wei_u64")]
    pub base_fee: u64,
    /// Header extra data, `0x`-hex, at most [`MAX_EXTRA_DATA_BYTES`] bytes (default
    /// empty).
    #[serde(deserialize_with = "keel_units::hex_bytes")]
    pub extra_data: Bytes,
    /// Accounts at genesis, `[genesis.alloc."0x…"]` (default none). An address may be written
    /// in lower case or with a valid EIP-55 checksum; each account may appear once.
    #[serde(deserialize_with = "alloc")]
    pub alloc: BTreeMap<Address, GenesisAccount>,
    /// The L1 account the `L1FeeVault` predeploy withdraws the collected L1 data fees to: the
    /// one that pays for the chain's blobs, usually the sequencer's L1 key (default none: the
    /// fees stay in the vault until a genesis names a recipient).
    pub l1_fee_recipient: Option<Address>,
}

impl Default for GenesisConfig {
    fn default() -> Self {
        Self {
            timestamp: DEFAULT_GENESIS_TIMESTAMP,
            gas_limit: DEFAULT_GAS_LIMIT,
            base_fee: DEFAULT_GENESIS_BASE_FEE,
            extra_data: Bytes::new(),
            alloc: BTreeMap::new(),
            l1_fee_recipient: None,
        }
    }
}

impl GenesisConfig {
    /// The first rule the section breaks (keys relative to `[genesis]`). The base fee's bounds
    /// come from `[fees]` and are checked by the config loader.
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(
            (MIN_GAS_LIMIT..=MAX_GAS_LIMIT).contains(&self.gas_limit),
            "gas_limit",
            || {
                format!(
                    "must be between {MIN_GAS_LIMIT} and {MAX_GAS_LIMIT} (2^63 - 1), got {}",
                    self.gas_limit
                )
            },
        )?;
        ensure(
            self.extra_data.len() <= MAX_EXTRA_DATA_BYTES,
            "extra_data",
            || {
                format!(
                    "must be at most {MAX_EXTRA_DATA_BYTES} bytes, got {}",
                    self.extra_data.len()
                )
            },
        )
    }
}

/// One genesis account, `[genesis.alloc."0x…"]`. Every key defaults to zero/empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisAccount {
    /// Balance in wei (default 0): an integer, a decimal string (`"10000000000000000000000"`),
    /// a hex string (`"0x21e19e0c9bab2400000"`) or an amount with a unit (`"10000 ether"`,
    /// `"1.5 gwei"`); see [`keel_units::parse_wei`].
    #[serde(deserialize_with = "keel_units::wei_u256")]
    pub balance: U256,
    /// Account nonce (default 0).
    pub nonce: u64,
    /// Contract code, `0x`-hex (default empty: not a contract).
    #[serde(deserialize_with = "keel_units::hex_bytes")]
    pub code: Bytes,
    /// Storage slots, `{ "0x01" = "0xff" }`: `0x`-hex slot → `0x`-hex value (or a non-negative
    /// integer), each up to 32 bytes and left-padded with zeros (default none).
    #[serde(deserialize_with = "storage")]
    pub storage: BTreeMap<U256, U256>,
}

/// A `genesis.alloc` key: an address, checked, with its spelling for duplicate errors.
struct AllocKey(Address, String);

impl<'de> Deserialize<'de> for AllocKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match keel_units::parse_address(&text) {
            Ok(address) => Ok(Self(address, text)),
            Err(why) => Err(D::Error::custom(format!(
                "expected {}, got \"{text}\" ({why})",
                keel_units::ADDRESS
            ))),
        }
    }
}

/// A storage slot key: `0x`-hex of at most 32 bytes.
struct SlotKey(U256, String);

impl<'de> Deserialize<'de> for SlotKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match keel_units::parse_word(&text) {
            Ok(slot) => Ok(Self(slot, text)),
            Err(why) => Err(D::Error::custom(format!(
                "expected {}, got \"{text}\" ({why})",
                keel_units::SLOT
            ))),
        }
    }
}

/// A storage value: `0x`-hex of at most 32 bytes, or a non-negative integer.
struct SlotValue(U256);

impl<'de> Deserialize<'de> for SlotValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        keel_units::word(deserializer).map(Self)
    }
}

/// Reads `genesis.alloc`, refusing the same address twice (e.g. once checksummed and once in
/// lower case, which TOML sees as two keys).
fn alloc<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<Address, GenesisAccount>, D::Error> {
    struct AllocVisitor;
    impl<'de> Visitor<'de> for AllocVisitor {
        type Value = BTreeMap<Address, GenesisAccount>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of accounts by address, e.g. [genesis.alloc.\"0xf39F…2266\"]")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut accounts = BTreeMap::new();
            let mut spellings: BTreeMap<Address, String> = BTreeMap::new();
            while let Some(AllocKey(address, text)) = map.next_key()? {
                if let Some(first) = spellings.get(&address) {
                    return Err(A::Error::custom(format!(
                        "account {address} is listed twice (as \"{first}\" and \"{text}\"); \
                         merge the two tables"
                    )));
                }
                spellings.insert(address, text);
                accounts.insert(address, map.next_value::<GenesisAccount>()?);
            }
            Ok(accounts)
        }
    }
    deserializer.deserialize_map(AllocVisitor)
}

/// Reads an account's `storage`, refusing the same slot twice (`"0x1"` and `"0x01"`).
fn storage<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<U256, U256>, D::Error> {
    struct StorageVisitor;
    impl<'de> Visitor<'de> for StorageVisitor {
        type Value = BTreeMap<U256, U256>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of hex slot = hex value, e.g. { \"0x01\" = \"0xff\" }")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut slots = BTreeMap::new();
            let mut spellings: BTreeMap<U256, String> = BTreeMap::new();
            while let Some(SlotKey(slot, text)) = map.next_key()? {
                if let Some(first) = spellings.get(&slot) {
                    return Err(A::Error::custom(format!(
                        "storage slot {slot:#x} is listed twice (as \"{first}\" and \"{text}\")"
                    )));
                }
                spellings.insert(slot, text);
                let SlotValue(value) = map.next_value()?;
                slots.insert(slot, value);
            }
            Ok(slots)
        }
    }
    deserializer.deserialize_map(StorageVisitor)
}

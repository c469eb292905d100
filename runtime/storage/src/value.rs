//! Typed table values: [`Rlp<T>`] stores a `T` as its RLP under a pinned name, and decodes it in
//! one place.
//!
//! redb records each table's value type name on disk and refuses to open the table as another
//! type, so the name is part of the storage format: it is written here, once per stored type
//! ([`Stored::TYPE_NAME`]), crate-prefixed and versioned, never derived from a Rust path that a
//! refactor could move. A table's value is read without decoding ([`Encoded`]); decoding, the
//! only step that can meet corrupt bytes, returns a [`StorageError::Corrupt`] naming the type.

use std::{borrow::Cow, marker::PhantomData};

use alloy_rlp::{Decodable, Encodable};
use redb::{TypeName, Value};

use crate::{StorageError, StorageResult};

/// A type stored as RLP in a table.
pub trait Stored: Encodable + Decodable {
    /// The name redb records for the table's values: changing it makes existing databases
    /// refuse to open the table (a new storage format).
    const TYPE_NAME: &'static str;
}

/// A table value holding the RLP of a `T`.
pub struct Rlp<T>(PhantomData<fn() -> T>);

impl<T: Stored> core::fmt::Debug for Rlp<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Rlp<{}>", T::TYPE_NAME)
    }
}

/// The stored bytes of one `T`: borrowed from the database when read, owned when about to be
/// written.
pub struct Encoded<'a, T> {
    bytes: Cow<'a, [u8]>,
    value: PhantomData<fn() -> T>,
}

impl<T> core::fmt::Debug for Encoded<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Encoded({} bytes)", self.bytes.len())
    }
}

impl<T: Stored> Encoded<'_, T> {
    /// `value`, encoded for writing.
    pub fn new(value: &T) -> Encoded<'static, T> {
        Encoded {
            bytes: Cow::Owned(alloy_rlp::encode(value)),
            value: PhantomData,
        }
    }

    /// The value, decoded; corrupt bytes are an error naming the stored type.
    pub fn decode(&self) -> StorageResult<T> {
        let mut bytes = &self.bytes[..];
        let value = T::decode(&mut bytes).map_err(|source| StorageError::Corrupt {
            table: T::TYPE_NAME,
            reason: source.to_string(),
        })?;
        if !bytes.is_empty() {
            return Err(StorageError::Corrupt {
                table: T::TYPE_NAME,
                reason: format!("{} bytes after the value", bytes.len()),
            });
        }
        Ok(value)
    }

    /// Decodes `bytes` as a `T` (a value read in pieces); corrupt bytes are an error naming
    /// the stored type.
    pub fn decode_bytes(bytes: &[u8]) -> StorageResult<T> {
        <Rlp<T> as Value>::from_bytes(bytes).decode()
    }

    /// The encoded length.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the encoding is empty (never, for RLP).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl<T: Stored> Value for Rlp<T> {
    type SelfType<'a>
        = Encoded<'a, T>
    where
        Self: 'a;
    type AsBytes<'a>
        = &'a [u8]
    where
        Self: 'a;

    fn fixed_width() -> Option<usize> {
        None
    }

    fn from_bytes<'a>(data: &'a [u8]) -> Encoded<'a, T>
    where
        Self: 'a,
    {
        Encoded {
            bytes: Cow::Borrowed(data),
            value: PhantomData,
        }
    }

    fn as_bytes<'a, 'b: 'a>(value: &'a Encoded<'b, T>) -> &'a [u8]
    where
        Self: 'b,
    {
        &value.bytes
    }

    fn type_name() -> TypeName {
        TypeName::new(T::TYPE_NAME)
    }
}

/// Pins the stored name of foreign and local types.
macro_rules! stored {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl Stored for $ty {
            const TYPE_NAME: &'static str = $name;
        }
    )*};
}

stored! {
    alloy_consensus::Header => "keel::Header/v1",
    keel_primitives::TrieAccount => "keel::TrieAccount/v1",
    crate::codec::StoredReceipts => "keel::Receipts/v2",
    keel_primitives::L1Deposit => "keel::L1Deposit/v2",
    keel_primitives::DataFee => "keel::DataFee/v1",
    keel_primitives::Batch => "keel::Batch/v4",
    keel_primitives::Lease => "keel::Lease/v1",
    keel_primitives::StoredProof => "keel::StoredProof/v2",
    crate::BlockWitness => "keel::BlockWitness/v1",
    crate::codec::StoredBody => "keel::Body/v1",
    crate::codec::StoredAccount => "keel::Account/v1",
    crate::ChangeSet => "keel::ChangeSet/v1",
    crate::BatchCommit => "keel::BatchCommit/v1",
    crate::plugins::StoredActivation => "keel::PluginActivation/v1",
    Vec<crate::plugins::StoredBlockPlugin> => "keel::BlockPlugins/v1",
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256, U256};
    use keel_primitives::{BatchOutput, L1Deposit};

    use super::*;

    fn round_trip<T: Stored + PartialEq + core::fmt::Debug>(value: T) {
        let encoded = Encoded::new(&value);
        let read = <Rlp<T> as Value>::from_bytes(<Rlp<T> as Value>::as_bytes(&encoded));
        assert_eq!(read.decode().expect("decodes"), value);
    }

    #[test]
    fn values_round_trip_and_corruption_names_the_type() {
        round_trip(L1Deposit {
            deposit_id: 3,
            l1_sender: Address::repeat_byte(1),
            from: Address::repeat_byte(4),
            recipient: Address::repeat_byte(2),
            mint: U256::from(6),
            value: U256::from(5),
            gas_limit: 50_000,
            data: alloy_primitives::Bytes::from_static(&[1, 2, 3]),
            deadline: 9,
            l1_block: 7,
            l1_tx_hash: B256::repeat_byte(3),
        });
        round_trip(keel_primitives::Batch {
            number: 1,
            first_block: 1,
            last_block: 4,
            gas_used: 21_000,
            transactions: 1,
            witness_bytes: 100,
            input_bytes: 200,
            sealed_at_ms: 5,
            deposits: 0,
            output: BatchOutput {
                batch_number: 1,
                chain_spec_hash: B256::repeat_byte(7),
                first_block: 1,
                block_count: 4,
                parent_block_hash: B256::repeat_byte(1),
                pre_state_root: B256::repeat_byte(2),
                post_state_root: B256::repeat_byte(3),
                last_block_hash: B256::repeat_byte(4),
                last_block_timestamp: 1_700_000_000,
                withdrawals_root: B256::ZERO,
                deposits_rolling_hash: B256::ZERO,
                blobs_hash: B256::ZERO,
            },
            blobs: vec![],
        });
        let corrupt = <Rlp<L1Deposit> as Value>::from_bytes(&[0xc3, 0x01]);
        let error = corrupt.decode().expect_err("corrupt");
        assert!(error.to_string().contains("keel::L1Deposit/v2"), "{error}");
        let trailing = {
            let mut bytes = alloy_rlp::encode(&L1Deposit {
                deposit_id: 1,
                ..Default::default()
            });
            bytes.push(0);
            bytes
        };
        let error = <Rlp<L1Deposit> as Value>::from_bytes(&trailing)
            .decode()
            .expect_err("trailing bytes");
        assert!(error.to_string().contains("after the value"), "{error}");
    }
}

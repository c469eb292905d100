//! Stored forms that are not domain types: a block body with its recovered senders, a block's
//! receipts without their blooms, and a flat-state account without the empty roots.

use alloy_eips::Typed2718;
use alloy_primitives::{Address, B256, Bytes, Log, U256};
use alloy_rlp::{RlpDecodable, RlpDecodableWrapper, RlpEncodable, RlpEncodableWrapper};
use keel_primitives::{EMPTY_ROOT_HASH, KECCAK_EMPTY, KeelReceipt, KeelTx, TrieAccount};

use crate::{StorageError, StorageResult};

/// A block body as stored: transactions and the senders recovered when they were admitted.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredBody {
    pub(crate) transactions: Vec<KeelTx>,
    pub(crate) senders: Vec<Address>,
}

/// A block's receipts as stored: each without its logs bloom, which is recomputed from the logs
/// when read. The bloom is 256 bytes of every receipt, most of what an ETH transfer's takes;
/// reth stores receipts without it too.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodableWrapper, RlpDecodableWrapper)]
pub(crate) struct StoredReceipts(Vec<StoredReceipt>);

/// One receipt of [`StoredReceipts`].
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredReceipt {
    /// The transaction's EIP-2718 type (`DEPOSIT_TX_TYPE` for an L1 message).
    ty: u8,
    success: bool,
    cumulative_gas_used: u64,
    logs: Vec<Log>,
}

impl StoredReceipts {
    pub(crate) fn new(receipts: &[KeelReceipt]) -> Self {
        Self(
            receipts
                .iter()
                .map(|receipt| StoredReceipt {
                    ty: receipt.ty(),
                    success: receipt.success(),
                    cumulative_gas_used: receipt.cumulative_gas_used(),
                    logs: receipt.logs().to_vec(),
                })
                .collect(),
        )
    }

    /// The receipts, blooms recomputed; a type Keel never executes is corrupt data.
    pub(crate) fn into_receipts(self) -> StorageResult<Vec<KeelReceipt>> {
        self.0
            .into_iter()
            .map(|stored| {
                let ty = stored.ty;
                KeelReceipt::from_parts(ty, stored.success, stored.cumulative_gas_used, stored.logs)
                    .ok_or_else(|| StorageError::Corrupt {
                        table: <Self as crate::value::Stored>::TYPE_NAME,
                        reason: format!("a receipt of transaction type {ty}"),
                    })
            })
            .collect()
    }
}

/// An account of the flat state as stored: its storage root and code hash are empty strings when
/// they are the empty trie's and the empty code's, which is what an externally owned account's
/// are: 66 of the ~75 bytes a `TrieAccount` takes.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredAccount {
    nonce: u64,
    balance: U256,
    /// Empty, or the 32-byte storage root.
    storage_root: Bytes,
    /// Empty, or the 32-byte code hash.
    code_hash: Bytes,
}

impl From<&TrieAccount> for StoredAccount {
    fn from(account: &TrieAccount) -> Self {
        let unless = |word: B256, empty: B256| match word == empty {
            true => Bytes::new(),
            false => Bytes::copy_from_slice(word.as_slice()),
        };
        Self {
            nonce: account.nonce,
            balance: account.balance,
            storage_root: unless(account.storage_root, EMPTY_ROOT_HASH),
            code_hash: unless(account.code_hash, KECCAK_EMPTY),
        }
    }
}

impl StoredAccount {
    /// The account; a root or hash of another length than 0 or 32 is corrupt data.
    pub(crate) fn into_account(self) -> StorageResult<TrieAccount> {
        let word = |bytes: &Bytes, empty: B256, what: &str| match bytes.len() {
            0 => Ok(empty),
            32 => Ok(B256::from_slice(bytes)),
            len => Err(StorageError::Corrupt {
                table: <Self as crate::value::Stored>::TYPE_NAME,
                reason: format!("a {what} of {len} bytes"),
            }),
        };
        Ok(TrieAccount {
            nonce: self.nonce,
            balance: self.balance,
            storage_root: word(&self.storage_root, EMPTY_ROOT_HASH, "storage root")?,
            code_hash: word(&self.code_hash, KECCAK_EMPTY, "code hash")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Encoded, Rlp};
    use alloy_consensus::{
        Receipt, ReceiptEnvelope, ReceiptWithBloom, Signed, TxEnvelope, TxLegacy,
    };
    use alloy_primitives::{Log, Signature, U256};
    use keel_primitives::KeelReceipt;
    use redb::Value;

    fn round_trip<T: crate::value::Stored>(value: &T) -> T {
        let encoded = Encoded::new(value);
        <Rlp<T> as Value>::from_bytes(<Rlp<T> as Value>::as_bytes(&encoded))
            .decode()
            .unwrap()
    }

    #[test]
    fn body_and_receipts_round_trip() {
        let tx = TxLegacy {
            chain_id: Some(1),
            nonce: 3,
            gas_limit: 21_000,
            value: U256::from(7),
            ..Default::default()
        };
        let signature = Signature::new(U256::from(1), U256::from(2), false);
        let body = StoredBody {
            transactions: vec![
                TxEnvelope::Legacy(Signed::new_unhashed(tx, signature)).into(),
                keel_primitives::DepositTx {
                    refund: true,
                    ..keel_primitives::DepositTx::deposit(
                        3,
                        Address::repeat_byte(1),
                        Address::repeat_byte(2),
                        U256::from(5),
                    )
                }
                .into(),
            ],
            senders: vec![Address::repeat_byte(9), Address::repeat_byte(1)],
        };
        assert_eq!(round_trip(&body), body);

        let receipt =
            KeelReceipt::Ethereum(ReceiptEnvelope::Eip1559(ReceiptWithBloom::from(Receipt {
                status: true.into(),
                cumulative_gas_used: 21_000,
                logs: vec![Log::empty()],
            })));
        let logged =
            KeelReceipt::Ethereum(ReceiptEnvelope::Legacy(ReceiptWithBloom::from(Receipt {
                status: false.into(),
                cumulative_gas_used: 50_000,
                logs: vec![Log::new_unchecked(
                    Address::repeat_byte(4),
                    vec![alloy_primitives::B256::repeat_byte(5)],
                    vec![1, 2, 3].into(),
                )],
            })));
        let receipts = vec![
            receipt.clone(),
            receipt,
            KeelReceipt::deposit(21_000),
            KeelReceipt::l1_call(true, 30_000, vec![Log::empty()]),
            logged,
        ];
        let stored = round_trip(&StoredReceipts::new(&receipts));
        assert_eq!(
            stored.into_receipts().unwrap(),
            receipts,
            "blooms recomputed"
        );
    }

    #[test]
    fn corrupt_value_names_its_type() {
        let err = <Rlp<StoredBody> as Value>::from_bytes(&[0xff, 0x00])
            .decode()
            .unwrap_err();
        assert!(err.to_string().contains("keel::Body/v1"), "{err}");
    }

    #[test]
    fn accounts_leave_out_their_empty_roots() {
        let eoa = TrieAccount {
            nonce: 1,
            balance: U256::from(5),
            storage_root: EMPTY_ROOT_HASH,
            code_hash: KECCAK_EMPTY,
        };
        let contract = TrieAccount {
            storage_root: B256::repeat_byte(1),
            code_hash: B256::repeat_byte(2),
            ..eoa
        };
        for account in [eoa, contract] {
            let stored = StoredAccount::from(&account);
            let bytes = alloy_rlp::encode(&stored);
            let read: StoredAccount = alloy_rlp::decode_exact(&bytes).expect("decodes");
            assert_eq!(read.into_account().expect("an account"), account);
        }
        assert!(alloy_rlp::encode(StoredAccount::from(&eoa)).len() < 10);
        let corrupt = StoredAccount {
            code_hash: Bytes::from_static(&[1; 5]),
            ..StoredAccount::from(&eoa)
        };
        assert!(corrupt.into_account().is_err());
    }
}

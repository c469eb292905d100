//! Stored forms that are not domain types: a block body with its recovered senders, and a
//! block's receipts without their blooms.

use alloy_eips::Typed2718;
use alloy_primitives::{Address, Log};
use alloy_rlp::{RlpDecodable, RlpDecodableWrapper, RlpEncodable, RlpEncodableWrapper};
use keel_primitives::{KeelReceipt, KeelTx};

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
}

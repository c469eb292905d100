//! Stored forms that are not domain types: a block body with its recovered senders.

use alloy_primitives::Address;
use alloy_rlp::{RlpDecodable, RlpEncodable};
use keel_primitives::KeelTx;

/// A block body as stored: transactions and the senders recovered when they were admitted.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredBody {
    pub(crate) transactions: Vec<KeelTx>,
    pub(crate) senders: Vec<Address>,
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
        let receipts = vec![receipt.clone(), receipt, KeelReceipt::deposit(21_000)];
        assert_eq!(round_trip(&receipts), receipts);
    }

    #[test]
    fn corrupt_value_names_its_type() {
        let err = <Rlp<StoredBody> as Value>::from_bytes(&[0xff, 0x00])
            .decode()
            .unwrap_err();
        assert!(err.to_string().contains("keel::Body/v1"), "{err}");
    }
}

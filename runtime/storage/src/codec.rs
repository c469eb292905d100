//! Value encodings for the tables (RLP throughout, as Ethereum clients store them).

use alloy_consensus::Header;
use alloy_primitives::Address;
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use keel_primitives::{KeelReceipt, KeelTx};

use crate::{StorageError, StorageResult};

/// A block body as stored: transactions and the senders recovered when they were admitted.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredBody {
    pub(crate) transactions: Vec<KeelTx>,
    pub(crate) senders: Vec<Address>,
}

pub(crate) fn encode<T: Encodable>(value: &T) -> Vec<u8> {
    alloy_rlp::encode(value)
}

pub(crate) fn decode<T: Decodable>(table: &'static str, mut bytes: &[u8]) -> StorageResult<T> {
    T::decode(&mut bytes).map_err(|source| StorageError::Corrupt {
        table,
        reason: source.to_string(),
    })
}

pub(crate) fn encode_receipts(receipts: &[KeelReceipt]) -> Vec<u8> {
    let mut out = Vec::new();
    alloy_rlp::encode_list(receipts, &mut out);
    out
}

/// The head pointer: the last sealed block number, 8 bytes big endian.
pub(crate) fn decode_head(bytes: Option<&[u8]>) -> StorageResult<u64> {
    let corrupt = |reason: &str| StorageError::Corrupt {
        table: "meta",
        reason: reason.to_owned(),
    };
    let bytes = bytes.ok_or_else(|| corrupt("no head block"))?;
    let bytes: [u8; 8] = bytes
        .try_into()
        .map_err(|_| corrupt("head is not 8 bytes"))?;
    Ok(u64::from_be_bytes(bytes))
}

pub(crate) fn decode_header(bytes: &[u8]) -> StorageResult<Header> {
    decode("headers", bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{
        Receipt, ReceiptEnvelope, ReceiptWithBloom, Signed, TxEnvelope, TxLegacy,
    };
    use alloy_primitives::{Log, Signature, U256};

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
                    deposit_id: 3,
                    l1_sender: Address::repeat_byte(1),
                    recipient: Address::repeat_byte(2),
                    value: U256::from(5),
                    refund: true,
                }
                .into(),
            ],
            senders: vec![Address::repeat_byte(9), Address::repeat_byte(1)],
        };
        let decoded: StoredBody = decode("bodies", &encode(&body)).unwrap();
        assert_eq!(decoded, body);

        let receipt =
            KeelReceipt::Ethereum(ReceiptEnvelope::Eip1559(ReceiptWithBloom::from(Receipt {
                status: true.into(),
                cumulative_gas_used: 21_000,
                logs: vec![Log::empty()],
            })));
        let receipts = vec![receipt.clone(), receipt, KeelReceipt::deposit(21_000)];
        let decoded: Vec<KeelReceipt> = decode("receipts", &encode_receipts(&receipts)).unwrap();
        assert_eq!(decoded, receipts);
    }

    #[test]
    fn corrupt_value_names_table() {
        let err = decode::<StoredBody>("bodies", &[0xff, 0x00]).unwrap_err();
        assert!(err.to_string().contains("bodies"), "{err}");
    }
}

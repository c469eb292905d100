//! Keel's transactions and receipts: Ethereum's signed types plus the privileged L1 message.
//!
//! An L1 message is a `CommonBridge` queue entry carried onto L2: a deposit
//! (`CommonBridge.deposit`: credits ETH, runs no code) or an L2 call made from L1
//! (`CommonBridge.sendMessage`: mints the ETH sent on L1 to the sender's L2 address, then calls
//! as that address, paying no L2 gas). It has no signature: the L1 contract authenticated the
//! sender and took the ETH, the sequencer only relays it, and the settlement contract checks
//! (through the batch's deposits rolling hash) that the messages a batch includes are exactly
//! the oldest ones in the L1 queue, in order. Its EIP-2718 type is [`DEPOSIT_TX_TYPE`], the
//! byte the OP stack uses for the same purpose. The type keeps the name of its first use
//! ([`DepositTx`]), as the L1 queue's functions do.

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, TxEnvelope};
use alloy_eips::{
    Decodable2718, Encodable2718, Typed2718,
    eip2718::{Eip2718Error, Eip2718Result},
};
use alloy_primitives::{Address, B256, Bloom, Bytes, Log, Sealed, U256, keccak256};
use alloy_rlp::{BufMut, Decodable, Encodable, RlpDecodable, RlpEncodable};

/// The EIP-2718 type byte of a deposit transaction and its receipt.
pub const DEPOSIT_TX_TYPE: u8 = 0x7e;

/// An L1 message as the L2 executes it: `mint` is credited to `from`; then, for a deposit
/// (`gas_limit == 0`), `value` moves from `from` to `recipient` and no code runs; for a call,
/// `from` calls `recipient` with `value`, `gas_limit` and `data` at gas price zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable)]
pub struct DepositTx {
    /// The message's index in the L1 bridge's queue (0, 1, 2, …).
    pub deposit_id: u64,
    /// Who sent it on L1 (receives the refund of a refused deposit).
    pub l1_sender: Address,
    /// Who it runs as on L2: `l1_sender`, aliased if that is a contract
    /// ([`crate::bridge::l2_alias`]).
    pub from: Address,
    /// Who is credited (deposit) or called (call) on L2.
    pub recipient: Address,
    /// Wei paid on L1 and minted to `from` on L2.
    pub mint: U256,
    /// Wei moved from `from` to `recipient` (a deposit's amount; a call's value).
    pub value: U256,
    /// L2 gas of the call; zero for a deposit.
    pub gas_limit: u64,
    /// The call's calldata; empty for a deposit.
    pub data: Bytes,
    /// Whether the bridge rules refused the deposit: its value goes back to its L1 sender as a
    /// withdrawal instead (`mint` for ETH, the tokens for a token deposit). Only a deposit may
    /// be refunded ([`Self::refundable`]): any other call forced from L1 always runs.
    pub refund: bool,
}

impl DepositTx {
    /// A plain deposit from an externally owned account: `value` wei from `l1_sender` on L1,
    /// credited to `recipient` on L2.
    pub fn deposit(deposit_id: u64, l1_sender: Address, recipient: Address, value: U256) -> Self {
        Self {
            deposit_id,
            l1_sender,
            from: l1_sender,
            recipient,
            mint: value,
            value,
            gas_limit: 0,
            data: Bytes::new(),
            refund: false,
        }
    }

    /// The hash the L1 bridge queued for this message:
    /// `keccak256(abi.encode(uint256 id, address l1Sender, address from, address to,
    /// uint256 mint, uint256 value, uint256 gasLimit, bytes32 keccak256(data)))`.
    pub fn deposit_hash(&self) -> B256 {
        let mut words = [0u8; 256];
        words[24..32].copy_from_slice(&self.deposit_id.to_be_bytes());
        words[44..64].copy_from_slice(self.l1_sender.as_slice());
        words[76..96].copy_from_slice(self.from.as_slice());
        words[108..128].copy_from_slice(self.recipient.as_slice());
        words[128..160].copy_from_slice(&self.mint.to_be_bytes::<32>());
        words[160..192].copy_from_slice(&self.value.to_be_bytes::<32>());
        words[216..224].copy_from_slice(&self.gas_limit.to_be_bytes());
        words[224..256].copy_from_slice(keccak256(&self.data).as_slice());
        keccak256(words)
    }

    /// Whether this is a call (it runs code on L2), not a deposit.
    pub fn is_call(&self) -> bool {
        self.gas_limit > 0
    }

    /// The ERC-20 deposit this message carries, if it is one.
    pub fn token_deposit(&self) -> Option<crate::bridge::TokenDeposit> {
        crate::bridge::TokenDeposit::decode(self.from, self.recipient, &self.data)
    }

    /// Whether the bridge rules may refuse it: deposits only, of ETH or of a token.
    pub fn refundable(&self) -> bool {
        !self.is_call() || self.token_deposit().is_some()
    }

    /// Seals the deposit with its transaction hash, `keccak256(0x7e ‖ rlp(deposit))`.
    pub fn seal(self) -> Sealed<Self> {
        let mut buf = Vec::with_capacity(1 + self.length());
        buf.push(DEPOSIT_TX_TYPE);
        self.encode(&mut buf);
        let hash = keccak256(&buf);
        Sealed::new_unchecked(self, hash)
    }
}

/// A transaction in a Keel block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeelTx {
    /// A signed Ethereum transaction (legacy, 2930, 1559, 7702).
    Ethereum(TxEnvelope),
    /// A privileged L1 deposit.
    Deposit(Sealed<DepositTx>),
}

impl KeelTx {
    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        match self {
            Self::Ethereum(tx) => *tx.tx_hash(),
            Self::Deposit(deposit) => deposit.hash(),
        }
    }

    /// The signed transaction, unless this is a deposit.
    pub fn as_ethereum(&self) -> Option<&TxEnvelope> {
        match self {
            Self::Ethereum(tx) => Some(tx),
            Self::Deposit(_) => None,
        }
    }

    /// The deposit, if this is one.
    pub fn as_deposit(&self) -> Option<&DepositTx> {
        match self {
            Self::Ethereum(_) => None,
            Self::Deposit(deposit) => Some(deposit.inner()),
        }
    }
}

impl From<TxEnvelope> for KeelTx {
    fn from(tx: TxEnvelope) -> Self {
        Self::Ethereum(tx)
    }
}

impl From<DepositTx> for KeelTx {
    fn from(deposit: DepositTx) -> Self {
        Self::Deposit(deposit.seal())
    }
}

impl Typed2718 for KeelTx {
    fn ty(&self) -> u8 {
        match self {
            Self::Ethereum(tx) => tx.ty(),
            Self::Deposit(_) => DEPOSIT_TX_TYPE,
        }
    }
}

impl Encodable2718 for KeelTx {
    fn encode_2718_len(&self) -> usize {
        match self {
            Self::Ethereum(tx) => tx.encode_2718_len(),
            Self::Deposit(deposit) => 1 + deposit.length(),
        }
    }

    fn encode_2718(&self, out: &mut dyn BufMut) {
        match self {
            Self::Ethereum(tx) => tx.encode_2718(out),
            Self::Deposit(deposit) => {
                out.put_u8(DEPOSIT_TX_TYPE);
                deposit.encode(out);
            }
        }
    }
}

impl Decodable2718 for KeelTx {
    fn typed_decode(ty: u8, buf: &mut &[u8]) -> Eip2718Result<Self> {
        if ty == DEPOSIT_TX_TYPE {
            return Ok(DepositTx::decode(buf)?.into());
        }
        TxEnvelope::typed_decode(ty, buf).map(Self::Ethereum)
    }

    fn fallback_decode(buf: &mut &[u8]) -> Eip2718Result<Self> {
        TxEnvelope::fallback_decode(buf).map(Self::Ethereum)
    }
}

/// The network form (as in blocks and `eth_sendRawTransaction` bodies): a legacy transaction
/// is its RLP list, a typed one an RLP string of its EIP-2718 bytes.
impl Encodable for KeelTx {
    fn encode(&self, out: &mut dyn BufMut) {
        self.network_encode(out);
    }

    fn length(&self) -> usize {
        self.network_len()
    }
}

impl Decodable for KeelTx {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        Self::network_decode(buf).map_err(|error| match error {
            Eip2718Error::RlpError(error) => error,
            _ => alloy_rlp::Error::Custom("unknown transaction type"),
        })
    }
}

/// The receipt of a [`KeelTx`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeelReceipt {
    /// The receipt of a signed Ethereum transaction.
    Ethereum(ReceiptEnvelope),
    /// The receipt of a deposit: always successful, no gas, no logs.
    Deposit(ReceiptWithBloom<Receipt>),
}

impl KeelReceipt {
    /// A deposit's receipt, placed after transactions that used `cumulative_gas_used`.
    pub fn deposit(cumulative_gas_used: u64) -> Self {
        Self::l1_call(true, cumulative_gas_used, Vec::new())
    }

    /// The receipt of an L1 message that called: whether the call succeeded, and its logs.
    pub fn l1_call(success: bool, cumulative_gas_used: u64, logs: Vec<Log>) -> Self {
        Self::Deposit(
            Receipt {
                status: Eip658Value::Eip658(success),
                cumulative_gas_used,
                logs,
            }
            .into(),
        )
    }

    /// The receipt of a transaction of EIP-2718 type `ty` ([`DEPOSIT_TX_TYPE`] for an L1
    /// message), with the bloom of `logs`; `None` for a type Keel does not execute.
    pub fn from_parts(
        ty: u8,
        success: bool,
        cumulative_gas_used: u64,
        logs: Vec<Log>,
    ) -> Option<Self> {
        let receipt = ReceiptWithBloom::from(Receipt {
            status: success.into(),
            cumulative_gas_used,
            logs,
        });
        if ty == DEPOSIT_TX_TYPE {
            return Some(Self::Deposit(receipt));
        }
        let ty = alloy_consensus::TxType::try_from(ty).ok()?;
        Some(Self::Ethereum(ReceiptEnvelope::from_typed(ty, receipt)))
    }

    fn inner(&self) -> &ReceiptWithBloom<Receipt> {
        match self {
            Self::Ethereum(
                ReceiptEnvelope::Legacy(receipt)
                | ReceiptEnvelope::Eip2930(receipt)
                | ReceiptEnvelope::Eip1559(receipt)
                | ReceiptEnvelope::Eip4844(receipt)
                | ReceiptEnvelope::Eip7702(receipt),
            )
            | Self::Deposit(receipt) => receipt,
        }
    }

    /// Whether the transaction succeeded.
    pub fn success(&self) -> bool {
        self.inner().receipt.status.coerce_status()
    }

    /// Gas used by this transaction and every one before it in the block.
    pub fn cumulative_gas_used(&self) -> u64 {
        self.inner().receipt.cumulative_gas_used
    }

    /// The logs the transaction emitted.
    pub fn logs(&self) -> &[Log] {
        &self.inner().receipt.logs
    }

    /// The bloom of the logs.
    pub fn logs_bloom(&self) -> Bloom {
        self.inner().logs_bloom
    }
}

impl Typed2718 for KeelReceipt {
    fn ty(&self) -> u8 {
        match self {
            Self::Ethereum(receipt) => receipt.ty(),
            Self::Deposit(_) => DEPOSIT_TX_TYPE,
        }
    }
}

impl Encodable2718 for KeelReceipt {
    fn encode_2718_len(&self) -> usize {
        match self {
            Self::Ethereum(receipt) => receipt.encode_2718_len(),
            Self::Deposit(receipt) => 1 + receipt.length(),
        }
    }

    fn encode_2718(&self, out: &mut dyn BufMut) {
        match self {
            Self::Ethereum(receipt) => receipt.encode_2718(out),
            Self::Deposit(receipt) => {
                out.put_u8(DEPOSIT_TX_TYPE);
                receipt.encode(out);
            }
        }
    }
}

impl Decodable2718 for KeelReceipt {
    fn typed_decode(ty: u8, buf: &mut &[u8]) -> Eip2718Result<Self> {
        if ty == DEPOSIT_TX_TYPE {
            return Ok(Self::Deposit(ReceiptWithBloom::decode(buf)?));
        }
        ReceiptEnvelope::typed_decode(ty, buf).map(Self::Ethereum)
    }

    fn fallback_decode(buf: &mut &[u8]) -> Eip2718Result<Self> {
        ReceiptEnvelope::fallback_decode(buf).map(Self::Ethereum)
    }
}

/// Network form, as for [`KeelTx`].
impl Encodable for KeelReceipt {
    fn encode(&self, out: &mut dyn BufMut) {
        self.network_encode(out);
    }

    fn length(&self) -> usize {
        self.network_len()
    }
}

impl Decodable for KeelReceipt {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        Self::network_decode(buf).map_err(|error| match error {
            Eip2718Error::RlpError(error) => error,
            _ => alloy_rlp::Error::Custom("unknown receipt type"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Signed, TxLegacy};
    use alloy_primitives::{Signature, TxKind, address, b256};

    fn deposit() -> DepositTx {
        DepositTx::deposit(
            7,
            address!("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
            address!("70997970c51812dc3a010c7d01b50e0d17dc79c8"),
            U256::from(10u64).pow(U256::from(18u64)),
        )
    }

    #[test]
    fn deposit_round_trips_in_both_forms() {
        let tx = KeelTx::from(deposit());
        assert_eq!(tx.ty(), DEPOSIT_TX_TYPE);
        let bytes = tx.encoded_2718();
        assert_eq!(bytes[0], DEPOSIT_TX_TYPE);
        assert_eq!(keccak256(&bytes), tx.hash());
        assert_eq!(KeelTx::decode_2718(&mut bytes.as_slice()).unwrap(), tx);
        let network = alloy_rlp::encode(&tx);
        assert_eq!(KeelTx::decode(&mut network.as_slice()).unwrap(), tx);
        assert_eq!(tx.as_deposit(), Some(&deposit()));
    }

    #[test]
    fn ethereum_transactions_decode_as_before() {
        let legacy = TxLegacy {
            chain_id: Some(1),
            nonce: 3,
            gas_price: 7,
            gas_limit: 21_000,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(5),
            input: Default::default(),
        };
        let signature = Signature::new(U256::from(1), U256::from(2), false);
        let envelope = TxEnvelope::Legacy(Signed::new_unhashed(legacy, signature));
        let network = alloy_rlp::encode(&envelope);
        let tx = KeelTx::decode(&mut network.as_slice()).unwrap();
        assert_eq!(tx, KeelTx::Ethereum(envelope.clone()));
        assert_eq!(alloy_rlp::encode(&tx), network);
        assert_eq!(tx.hash(), *envelope.tx_hash());
    }

    #[test]
    fn unknown_type_is_an_error() {
        let bytes = [0x7fu8, 0xc0];
        assert!(KeelTx::decode_2718(&mut bytes.as_slice()).is_err());
    }

    #[test]
    fn deposit_hash_is_the_abi_encoding_the_bridge_hashes() {
        // keccak256(abi.encode(uint256(7), 0xf39f…2266, 0xf39f…2266, 0x7099…79c8, uint256(1e18),
        // uint256(1e18), uint256(0), keccak256(""))), computed independently with Solidity's
        // abi.encode (forge test `test_messageHashPinned`); pinned so a change here is a
        // deliberate change of CommonBridge as well.
        assert_eq!(
            deposit().deposit_hash(),
            b256!("8d3ce5a77c73fa1d48a48aadd4e4e0769decf1b684afe6a940cfe43ca6bc6132")
        );
    }

    #[test]
    fn deposit_receipt_round_trips() {
        let receipt = KeelReceipt::deposit(42_000);
        let network = alloy_rlp::encode(&receipt);
        assert_eq!(
            KeelReceipt::decode(&mut network.as_slice()).unwrap(),
            receipt
        );
        assert_eq!(receipt.encoded_2718()[0], DEPOSIT_TX_TYPE);
        assert!(receipt.success());
        assert_eq!(receipt.cumulative_gas_used(), 42_000);
    }
}

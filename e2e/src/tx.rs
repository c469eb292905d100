//! Building, signing and encoding transactions by hand (for pre-signed bursts and bad inputs).

use alloy::{
    consensus::{SignableTransaction, Signed, TxEip1559, TxEnvelope, TxLegacy},
    eips::{BlockNumberOrTag, eip2718::Encodable2718},
    network::TxSignerSync,
    primitives::{Address, Bytes, Signature, TxKind, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, eyre};

/// Gas of a plain value transfer to an account without code.
pub const TRANSFER_GAS: u64 = 21_000;

/// One gwei in wei.
pub const GWEI: u128 = 1_000_000_000;

/// EIP-1559 fee caps; [`Fees::gas_price`] is used for legacy transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

impl Fees {
    /// Fees that stay valid while the base fee grows up to `headroom`× the given one:
    /// `max_fee = base_fee * headroom + tip`.
    pub fn for_base_fee(base_fee: u128, headroom: u128, tip: u128) -> Self {
        Self {
            max_fee_per_gas: base_fee * headroom + tip,
            max_priority_fee_per_gas: tip,
        }
    }

    /// The legacy `gasPrice` to pay: the EIP-1559 fee cap.
    pub fn gas_price(&self) -> u128 {
        self.max_fee_per_gas
    }
}

/// The latest block's `baseFeePerGas` (standard JSON-RPC only: `eth_getBlockByNumber("latest")`).
pub async fn latest_base_fee(provider: &impl Provider) -> eyre::Result<u128> {
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| eyre!("eth_getBlockByNumber(\"latest\") returned null"))?;
    let base_fee = block.header.base_fee_per_gas.ok_or_else(|| {
        eyre!(
            "the latest block (#{}) has no baseFeePerGas",
            block.header.number
        )
    })?;
    Ok(u128::from(base_fee))
}

/// Fees with 4× headroom over the latest base fee and a 1 gwei tip.
pub async fn suggest_fees(provider: &impl Provider) -> eyre::Result<Fees> {
    Ok(Fees::for_base_fee(
        latest_base_fee(provider).await?,
        4,
        GWEI,
    ))
}

/// An EIP-1559 value transfer.
pub fn transfer_1559(chain_id: u64, nonce: u64, to: Address, value: U256, fees: Fees) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit: TRANSFER_GAS,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Bytes::new(),
    }
}

/// A legacy value transfer with EIP-155 replay protection (`chain_id` in the signature).
pub fn transfer_legacy(
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    gas_price: u128,
) -> TxLegacy {
    TxLegacy {
        chain_id: Some(chain_id),
        nonce,
        gas_price,
        gas_limit: TRANSFER_GAS,
        to: TxKind::Call(to),
        value,
        input: Bytes::new(),
    }
}

/// Signs `tx` with `signer` (the chain id is the transaction's own).
pub fn sign<T>(signer: &PrivateKeySigner, mut tx: T) -> eyre::Result<TxEnvelope>
where
    T: SignableTransaction<Signature>,
    Signed<T>: Into<TxEnvelope>,
{
    let signature = signer
        .sign_transaction_sync(&mut tx)
        .wrap_err("signing failed")?;
    Ok(tx.into_signed(signature).into())
}

/// The EIP-2718 encoding that `eth_sendRawTransaction` takes.
pub fn encode(tx: &TxEnvelope) -> Bytes {
    tx.encoded_2718().into()
}

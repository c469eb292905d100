//! Translating Keel's chain, header and transaction types into revm's environment.

use alloy_consensus::{Header, Transaction, TxEnvelope};
use alloy_eips::Typed2718;
use alloy_primitives::{Address, U256};
use keel_primitives::ChainSpec;
use revm::{
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::block::BlobExcessGasAndPrice,
    context_interface::either::Either,
    primitives::hardfork::SpecId,
};

/// The EVM rules Keel runs: Ethereum's Prague.
pub const SPEC_ID: SpecId = SpecId::PRAGUE;

/// revm's chain configuration for `spec`.
pub(crate) fn cfg_env(spec: &ChainSpec) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SPEC_ID);
    cfg.chain_id = spec.chain_id;
    cfg
}

/// revm's block environment for a block with `header`'s fields.
pub(crate) fn block_env(header: &Header) -> BlockEnv {
    BlockEnv {
        number: U256::from(header.number),
        beneficiary: header.beneficiary,
        timestamp: U256::from(header.timestamp),
        gas_limit: header.gas_limit,
        basefee: header.base_fee_per_gas.unwrap_or_default(),
        difficulty: U256::ZERO,
        prevrandao: Some(header.mix_hash),
        // Keel carries no blobs; a zero excess keeps BLOBBASEFEE well defined.
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
        ..Default::default()
    }
}

/// revm's transaction environment for `tx` signed by `sender`.
pub fn tx_env(tx: &TxEnvelope, sender: Address) -> TxEnv {
    TxEnv {
        tx_type: tx.ty(),
        caller: sender,
        gas_limit: tx.gas_limit(),
        gas_price: tx.max_fee_per_gas(),
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: tx.max_priority_fee_per_gas(),
        blob_hashes: Vec::new(),
        max_fee_per_blob_gas: 0,
        authorization_list: tx
            .authorization_list()
            .map(|list| list.iter().cloned().map(Either::Left).collect())
            .unwrap_or_default(),
    }
}

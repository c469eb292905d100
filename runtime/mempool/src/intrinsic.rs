//! Intrinsic gas: what a transaction costs before its first opcode runs (Prague rules).
//!
//! Kept here rather than borrowed from revm so the pool can reject at the door without building
//! an EVM; the e2e tests cross-check it against execution.

use alloy_consensus::{Transaction, TxEnvelope};

/// The two lower bounds on a transaction's gas limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntrinsicGas {
    /// Base + calldata + creation + access list + authorizations.
    pub initial: u64,
    /// The EIP-7623 calldata floor.
    pub floor: u64,
}

const TX_BASE: u64 = 21_000;
const TX_CREATE: u64 = 32_000;
const CALLDATA_ZERO: u64 = 4;
const CALLDATA_NONZERO: u64 = 16;
const INITCODE_WORD: u64 = 2;
const ACCESS_LIST_ADDRESS: u64 = 2_400;
const ACCESS_LIST_STORAGE_KEY: u64 = 1_900;
const PER_EMPTY_ACCOUNT: u64 = 25_000;
const FLOOR_PER_TOKEN: u64 = 10;

/// The intrinsic gas of `tx` under Prague.
pub fn intrinsic_gas(tx: &TxEnvelope) -> IntrinsicGas {
    let input = tx.input();
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = input.len() as u64 - zeros;
    let tokens = zeros + nonzeros * 4;
    let mut initial = TX_BASE + zeros * CALLDATA_ZERO + nonzeros * CALLDATA_NONZERO;
    if tx.kind().is_create() {
        initial += TX_CREATE + (input.len() as u64).div_ceil(32) * INITCODE_WORD;
    }
    if let Some(list) = tx.access_list() {
        for item in list.iter() {
            initial +=
                ACCESS_LIST_ADDRESS + item.storage_keys.len() as u64 * ACCESS_LIST_STORAGE_KEY;
        }
    }
    if let Some(auths) = tx.authorization_list() {
        initial += auths.len() as u64 * PER_EMPTY_ACCOUNT;
    }
    IntrinsicGas {
        initial,
        floor: TX_BASE + tokens * FLOOR_PER_TOKEN,
    }
}

//! The genesis block and state from the config's `[genesis]` section.

use std::collections::BTreeMap;

use crate::config::GenesisConfig;
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Sealable, Sealed};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use keel_primitives::{
    EMPTY_ROOT_HASH, KECCAK_EMPTY, L1_FEE_ORACLE_ADDRESS, L1_FEE_VAULT_ADDRESS, L2_BRIDGE_ADDRESS,
    data_fee::VAULT_RECIPIENT_SLOT,
};
use keel_storage::GenesisWrite;
use keel_trie::{GenesisAccount, StateRootUpdate, genesis_state};

/// The genesis block and everything needed to write it.
#[derive(Debug, Clone)]
pub struct Genesis {
    /// The sealed genesis header.
    pub header: Sealed<Header>,
    /// The state trie built from the alloc.
    pub state: StateRootUpdate,
    /// Every non-zero storage slot of the alloc: (address, slot, value).
    pub storage: Vec<(Address, U256, U256)>,
    /// Contract code of the alloc, by hash.
    pub codes: Vec<(B256, Bytes)>,
}

impl Genesis {
    /// The write storage needs.
    pub fn write(&self) -> GenesisWrite<'_> {
        GenesisWrite {
            header: &self.header,
            state: &self.state,
            storage: &self.storage,
            codes: &self.codes,
        }
    }
}

/// Builds the genesis state root and header from `config`, with Keel's predeploys (the L2
/// bridge at [`L2_BRIDGE_ADDRESS`], the `L1FeeOracle` at [`L1_FEE_ORACLE_ADDRESS`] and the
/// `L1FeeVault` at [`L1_FEE_VAULT_ADDRESS`], paying `l1_fee_recipient`) added unless the alloc
/// names their addresses itself.
pub fn build_genesis(config: &GenesisConfig) -> Genesis {
    use crate::{config::GenesisAccount, predeploys};
    let mut alloc = config.alloc.clone();
    let recipient = config.l1_fee_recipient.unwrap_or_default();
    for (address, code, storage) in [
        (L2_BRIDGE_ADDRESS, predeploys::l2_bridge_code(), vec![]),
        (
            L1_FEE_ORACLE_ADDRESS,
            predeploys::l1_fee_oracle_code(),
            vec![],
        ),
        (
            L1_FEE_VAULT_ADDRESS,
            predeploys::l1_fee_vault_code(),
            vec![(
                VAULT_RECIPIENT_SLOT,
                U256::from_be_slice(recipient.as_slice()),
            )],
        ),
    ] {
        alloc.entry(address).or_insert_with(|| GenesisAccount {
            code,
            storage: storage.into_iter().collect(),
            ..Default::default()
        });
    }
    genesis_of(config, &alloc)
}

/// The genesis block of `config` with exactly `alloc` as its state.
pub(crate) fn genesis_of(
    config: &GenesisConfig,
    alloc: &BTreeMap<Address, crate::config::GenesisAccount>,
) -> Genesis {
    let mut storage = Vec::new();
    let mut codes = Vec::new();
    let accounts: Vec<GenesisAccount> = alloc
        .iter()
        .map(|(address, account)| {
            let code_hash = if account.code.is_empty() {
                KECCAK_EMPTY
            } else {
                let hash = keccak256(&account.code);
                codes.push((hash, account.code.clone()));
                hash
            };
            let slots: Vec<(U256, U256)> = account
                .storage
                .iter()
                .map(|(slot, value)| (*slot, *value))
                .filter(|(_, value)| !value.is_zero())
                .collect();
            storage.extend(slots.iter().map(|(slot, value)| (*address, *slot, *value)));
            GenesisAccount {
                address: *address,
                nonce: account.nonce,
                balance: account.balance,
                code_hash,
                storage: slots,
            }
        })
        .collect();
    let state = genesis_state(accounts);
    let header = Header {
        parent_hash: B256::ZERO,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        state_root: state.root,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        number: 0,
        gas_limit: config.gas_limit,
        gas_used: 0,
        timestamp: config.timestamp,
        extra_data: config.extra_data.clone(),
        base_fee_per_gas: Some(config.base_fee),
        ..Default::default()
    };
    Genesis {
        header: header.seal_slow(),
        state,
        storage,
        codes,
    }
}

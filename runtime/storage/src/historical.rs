//! State at any past block, read through the trie.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use keel_primitives::{EMPTY_ROOT_HASH, StateReader};
use keel_trie::{TrieAccount, account_at_root, storage_at_root};

use crate::{Snapshot, StorageError, StorageResult};

/// The state as of a past block: accounts and storage are read through the trie at that block's
/// state root, code and block hashes from the chain tables. Made with [`HistoricalState::at`],
/// which refuses a block whose state was pruned.
#[derive(Debug)]
pub struct HistoricalState<'a> {
    snapshot: &'a Snapshot,
    state_root: B256,
}

impl<'a> HistoricalState<'a> {
    /// The state after the block with `header`, or [`StorageError::StatePruned`] if the node
    /// no longer keeps it.
    pub fn at(snapshot: &'a Snapshot, header: &Header) -> StorageResult<Self> {
        let oldest = snapshot.state_from()?;
        if header.number < oldest {
            return Err(StorageError::StatePruned {
                block: header.number,
                oldest,
            });
        }
        Ok(Self {
            snapshot,
            state_root: header.state_root,
        })
    }
}

impl StateReader for HistoricalState<'_> {
    type Error = StorageError;

    fn account(&self, address: &Address) -> StorageResult<Option<TrieAccount>> {
        Ok(account_at_root(self.snapshot, self.state_root, address)?)
    }

    fn storage(&self, address: &Address, slot: &U256) -> StorageResult<U256> {
        let Some(account) = self.account(address)? else {
            return Ok(U256::ZERO);
        };
        if account.storage_root == EMPTY_ROOT_HASH {
            return Ok(U256::ZERO);
        }
        Ok(storage_at_root(self.snapshot, account.storage_root, *slot)?)
    }

    fn code(&self, code_hash: &B256) -> StorageResult<Option<Bytes>> {
        self.snapshot.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> StorageResult<Option<B256>> {
        self.snapshot.block_hash(number)
    }
}

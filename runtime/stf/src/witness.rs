//! The pre-state as a prover sees it: trie nodes, codes and block hashes from the input, read
//! through the state trie at one root.

use std::{cell::RefCell, collections::BTreeMap};

use alloy_primitives::{
    Address, B256, Bytes, U256,
    map::{AddressMap, B256Map},
};
use keel_primitives::{EMPTY_ROOT_HASH, KECCAK_EMPTY, StateReader, TrieAccount};
use keel_trie::{NodeReader, TrieError, account_at_root, storage_at_root};

/// A read the witness cannot answer. Each one means the input is incomplete or does not belong
/// to the claimed pre-state.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// A trie node on the path of an account or slot is not in the witness (or a node there is
    /// malformed).
    #[error(transparent)]
    Trie(#[from] TrieError),
    /// A contract's code is not in the witness.
    #[error("contract code {0} is not in the witness")]
    MissingCode(B256),
    /// BLOCKHASH reached a block whose header is not in the input.
    #[error("BLOCKHASH({0}) reaches a block whose header is not in the input")]
    MissingBlockHash(u64),
}

/// A [`StateReader`] over a witness: accounts and storage are read through the trie with root
/// `state_root` in `nodes`, codes by hash, block hashes from the checked header chain.
///
/// Storage roots are cached per account, so a contract's slots cost one account lookup.
#[derive(Debug)]
pub struct WitnessState<'a, N> {
    nodes: &'a N,
    state_root: B256,
    codes: &'a B256Map<Bytes>,
    block_hashes: &'a BTreeMap<u64, B256>,
    storage_roots: RefCell<AddressMap<B256>>,
}

impl<'a, N: NodeReader> WitnessState<'a, N> {
    /// The state with root `state_root`.
    pub fn new(
        nodes: &'a N,
        state_root: B256,
        codes: &'a B256Map<Bytes>,
        block_hashes: &'a BTreeMap<u64, B256>,
    ) -> Self {
        Self {
            nodes,
            state_root,
            codes,
            block_hashes,
            storage_roots: RefCell::default(),
        }
    }

    fn storage_root(&self, address: &Address) -> Result<B256, WitnessError> {
        if let Some(root) = self.storage_roots.borrow().get(address) {
            return Ok(*root);
        }
        let root = self
            .account(address)?
            .map_or(EMPTY_ROOT_HASH, |account| account.storage_root);
        Ok(root)
    }
}

impl<N: NodeReader> StateReader for WitnessState<'_, N> {
    type Error = WitnessError;

    fn account(&self, address: &Address) -> Result<Option<TrieAccount>, WitnessError> {
        let account = account_at_root(self.nodes, self.state_root, address)?;
        self.storage_roots.borrow_mut().insert(
            *address,
            account.map_or(EMPTY_ROOT_HASH, |account| account.storage_root),
        );
        Ok(account)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, WitnessError> {
        let root = self.storage_root(address)?;
        Ok(storage_at_root(self.nodes, root, *slot)?)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, WitnessError> {
        if *code_hash == KECCAK_EMPTY {
            return Ok(Some(Bytes::new()));
        }
        self.codes
            .get(code_hash)
            .cloned()
            .map(Some)
            .ok_or(WitnessError::MissingCode(*code_hash))
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, WitnessError> {
        self.block_hashes
            .get(&number)
            .copied()
            .map(Some)
            .ok_or(WitnessError::MissingBlockHash(number))
    }
}

//! The read side of world state, independent of what stores it.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_trie::TrieAccount;

/// Reads world state at one fixed point (a block's post-state).
///
/// Implemented by the redb snapshot (flat tables, fast), by the trie-backed historical reader
/// (any past state root) and, later, by the prover's witness. Execution only ever sees this
/// trait, so it never knows which.
pub trait StateReader {
    /// The error a backend can fail with.
    type Error: core::error::Error + Send + Sync + 'static;

    /// The account at `address`, or `None` if it does not exist.
    fn account(&self, address: &Address) -> Result<Option<TrieAccount>, Self::Error>;

    /// The value of `slot` in the storage of `address` (zero if unset).
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, Self::Error>;

    /// Contract code by its keccak hash.
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, Self::Error>;

    /// The hash of canonical block `number`, if it exists.
    fn block_hash(&self, number: u64) -> Result<Option<B256>, Self::Error>;
}

impl<T: StateReader + ?Sized> StateReader for &T {
    type Error = T::Error;

    fn account(&self, address: &Address) -> Result<Option<TrieAccount>, Self::Error> {
        (**self).account(address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, Self::Error> {
        (**self).storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, Self::Error> {
        (**self).code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, Self::Error> {
        (**self).block_hash(number)
    }
}

//! Adapts any [`StateReader`] to revm's [`DatabaseRef`].

use alloy_primitives::{Address, B256, U256};
use keel_primitives::{KECCAK_EMPTY, StateReader};
use revm::{
    bytecode::Bytecode,
    database_interface::{DBErrorMarker, DatabaseRef},
    state::AccountInfo,
};

/// A [`StateReader`] seen through revm's read-only database interface.
#[derive(Debug, Clone)]
pub struct ReaderDb<R>(pub R);

/// A backend error carried through revm, which requires its own marker trait.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ReaderDbError(pub Box<dyn core::error::Error + Send + Sync>);

impl DBErrorMarker for ReaderDbError {}

fn boxed<E: core::error::Error + Send + Sync + 'static>(e: E) -> ReaderDbError {
    ReaderDbError(Box::new(e))
}

impl<R: StateReader> DatabaseRef for ReaderDb<R> {
    type Error = ReaderDbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self
            .0
            .account(&address)
            .map_err(boxed)?
            .map(|account| AccountInfo {
                balance: account.balance,
                nonce: account.nonce,
                code_hash: account.code_hash,
                account_id: None,
                code: None,
            }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        let code =
            self.0.code(&code_hash).map_err(boxed)?.ok_or_else(|| {
                ReaderDbError(format!("missing contract code {code_hash}").into())
            })?;
        Ok(Bytecode::new_raw(code))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.0.storage(&address, &index).map_err(boxed)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        // BLOCKHASH of an unknown block is zero, as on Ethereum; revm already limits the window
        // to the last 256 blocks.
        Ok(self
            .0
            .block_hash(number)
            .map_err(boxed)?
            .unwrap_or_default())
    }
}

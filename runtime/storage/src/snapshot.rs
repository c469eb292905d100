//! Consistent read views of the database.

use alloy_consensus::{Header, Sealed};
use alloy_primitives::{Address, B256, Bytes, U256};
use keel_primitives::StateReader;
use keel_primitives::{KeelReceipt, KeelTx};
use keel_trie::{NodeReader, StoreError, TrieAccount};
use redb::{ReadOnlyTable, ReadTransaction};

use crate::{
    BlockWitness, StorageError, StorageResult,
    codec::{StoredAccount, StoredBody, StoredReceipts},
    pieces::read_pieces,
    plugins::{StoredActivation, StoredBlockPlugin},
    tables::*,
    value::{Encoded, Rlp},
};
use keel_primitives::{Batch, DataFee, L1Deposit, Lease, StoredProof};

/// Where a transaction sits in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub block: u64,
    /// Index within the block.
    pub index: u32,
}

/// One account of a state dump: the account and its non-zero storage slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedAccount {
    /// The address.
    pub address: Address,
    /// Nonce, balance, storage root, code hash.
    pub account: TrieAccount,
    /// Non-zero storage slots in slot order.
    pub storage: Vec<(U256, U256)>,
}

/// A read transaction with its tables open: every query sees the database as it was when the
/// snapshot was taken.
pub struct Snapshot {
    canonical: ReadOnlyTable<u64, [u8; 32]>,
    headers: ReadOnlyTable<u64, Rlp<Header>>,
    block_numbers: ReadOnlyTable<[u8; 32], u64>,
    bodies: ReadOnlyTable<(u64, u32), &'static [u8]>,
    receipts: ReadOnlyTable<(u64, u32), &'static [u8]>,
    data_fees: ReadOnlyTable<u64, Rlp<DataFee>>,
    tx_lookup: ReadOnlyTable<[u8; 32], (u64, u32)>,
    accounts: ReadOnlyTable<[u8; 20], Rlp<StoredAccount>>,
    storage: ReadOnlyTable<([u8; 20], [u8; 32]), [u8; 32]>,
    codes: ReadOnlyTable<[u8; 32], &'static [u8]>,
    trie_nodes: ReadOnlyTable<[u8; 32], &'static [u8]>,
    pub(crate) meta: ReadOnlyTable<&'static str, u64>,
    pub(crate) plugin_code: ReadOnlyTable<[u8; 32], &'static [u8]>,
    pub(crate) plugin_history: ReadOnlyTable<(u8, u64), Rlp<StoredActivation>>,
    pub(crate) plugin_pending: ReadOnlyTable<u8, Rlp<StoredActivation>>,
    pub(crate) block_plugins: ReadOnlyTable<u64, Rlp<Vec<StoredBlockPlugin>>>,
    pub(crate) block_witnesses: ReadOnlyTable<u64, Rlp<BlockWitness>>,
    pub(crate) batches: ReadOnlyTable<u64, Rlp<Batch>>,
    pub(crate) prover_inputs: ReadOnlyTable<(u64, u32), &'static [u8]>,
    pub(crate) batch_frames: ReadOnlyTable<(u64, u32), &'static [u8]>,
    pub(crate) batch_commits: ReadOnlyTable<u64, Rlp<crate::BatchCommit>>,
    pub(crate) leases: ReadOnlyTable<u64, Rlp<Lease>>,
    pub(crate) proofs: ReadOnlyTable<u64, Rlp<StoredProof>>,
    pub(crate) l1_deposits: ReadOnlyTable<u64, Rlp<L1Deposit>>,
    pub(crate) l1_checkpoints: ReadOnlyTable<u64, [u8; 32]>,
    pub(crate) closed_batches: ReadOnlyTable<u64, (u64, u64)>,
}

impl core::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Snapshot").finish_non_exhaustive()
    }
}

impl Snapshot {
    pub(crate) fn new(txn: ReadTransaction) -> StorageResult<Self> {
        Ok(Self {
            canonical: txn.open_table(CANONICAL)?,
            headers: txn.open_table(HEADERS)?,
            block_numbers: txn.open_table(BLOCK_NUMBERS)?,
            bodies: txn.open_table(BODIES)?,
            receipts: txn.open_table(RECEIPTS)?,
            data_fees: txn.open_table(BLOCK_DATA_FEES)?,
            tx_lookup: txn.open_table(TX_LOOKUP)?,
            accounts: txn.open_table(ACCOUNTS)?,
            storage: txn.open_table(STORAGE)?,
            codes: txn.open_table(CODES)?,
            trie_nodes: txn.open_table(TRIE_NODES)?,
            meta: txn.open_table(META)?,
            plugin_code: txn.open_table(PLUGIN_CODE)?,
            plugin_history: txn.open_table(PLUGIN_HISTORY)?,
            plugin_pending: txn.open_table(PLUGIN_PENDING)?,
            block_plugins: txn.open_table(BLOCK_PLUGINS)?,
            block_witnesses: txn.open_table(BLOCK_WITNESSES)?,
            batches: txn.open_table(BATCHES)?,
            prover_inputs: txn.open_table(PROVER_INPUTS)?,
            batch_frames: txn.open_table(BATCH_FRAMES)?,
            batch_commits: txn.open_table(BATCH_COMMITS)?,
            leases: txn.open_table(LEASES)?,
            proofs: txn.open_table(PROOFS)?,
            l1_deposits: txn.open_table(L1_DEPOSITS)?,
            l1_checkpoints: txn.open_table(L1_CHECKPOINTS)?,
            closed_batches: txn.open_table(CLOSED_BATCHES)?,
        })
    }

    /// The genesis hash, if the database has been initialised.
    pub fn genesis_hash(&self) -> StorageResult<Option<B256>> {
        self.canonical_hash(0)
    }

    /// The number of the last sealed block (0 if only genesis).
    pub fn head_number(&self) -> StorageResult<u64> {
        self.counter(META_HEAD)?
            .ok_or_else(|| StorageError::Corrupt {
                table: "meta",
                reason: "no head block".to_owned(),
            })
    }

    /// The counter `key` of the meta table, if it was ever written.
    pub(crate) fn counter(&self, key: &str) -> StorageResult<Option<u64>> {
        Ok(self.meta.get(key)?.map(|v| v.value()))
    }

    /// The last sealed header.
    pub fn head(&self) -> StorageResult<Sealed<Header>> {
        let number = self.head_number()?;
        self.sealed_header(number)?.ok_or(StorageError::Corrupt {
            table: "headers",
            reason: format!("head block {number} has no header"),
        })
    }

    /// The header of canonical block `number`.
    pub fn header(&self, number: u64) -> StorageResult<Option<Header>> {
        self.headers
            .get(number)?
            .map(|v| v.value().decode())
            .transpose()
    }

    /// The header of canonical block `number`, with its hash.
    pub fn sealed_header(&self, number: u64) -> StorageResult<Option<Sealed<Header>>> {
        let Some(hash) = self.canonical_hash(number)? else {
            return Ok(None);
        };
        Ok(self
            .header(number)?
            .map(|header| Sealed::new_unchecked(header, hash)))
    }

    /// The hash of canonical block `number`.
    pub fn canonical_hash(&self, number: u64) -> StorageResult<Option<B256>> {
        Ok(self.canonical.get(number)?.map(|v| B256::from(v.value())))
    }

    /// The number of the block with `hash`.
    pub fn block_number(&self, hash: &B256) -> StorageResult<Option<u64>> {
        Ok(self.block_numbers.get(hash.0)?.map(|v| v.value()))
    }

    /// The transactions of block `number` and their senders.
    pub fn body(&self, number: u64) -> StorageResult<Option<(Vec<KeelTx>, Vec<Address>)>> {
        let Some(body) = read_pieces(&self.bodies, number)? else {
            return Ok(None);
        };
        let body = Encoded::<StoredBody>::decode_bytes(&body)?;
        Ok(Some((body.transactions, body.senders)))
    }

    /// The L1 data fee block `number` charged (none for genesis or an unknown block).
    pub fn data_fee(&self, number: u64) -> StorageResult<Option<DataFee>> {
        self.data_fees
            .get(number)?
            .map(|v| v.value().decode())
            .transpose()
    }

    /// The receipts of block `number`.
    pub fn receipts(&self, number: u64) -> StorageResult<Option<Vec<KeelReceipt>>> {
        read_pieces(&self.receipts, number)?
            .map(|bytes| Encoded::<StoredReceipts>::decode_bytes(&bytes)?.into_receipts())
            .transpose()
    }

    /// Every account of the latest state with its non-zero storage, in address order. For
    /// tests, debugging and state export: it reads the whole flat state.
    pub fn dump_state(&self) -> StorageResult<Vec<DumpedAccount>> {
        let mut out = Vec::new();
        for entry in self.accounts.range::<[u8; 20]>(..)? {
            let (key, value) = entry?;
            let address = Address::from(key.value());
            let account = value.value().decode()?.into_account()?;
            let mut slots = Vec::new();
            for slot in self
                .storage
                .range((key.value(), [0u8; 32])..=(key.value(), [0xffu8; 32]))?
            {
                let (slot, value) = slot?;
                slots.push((
                    U256::from_be_bytes(slot.value().1),
                    U256::from_be_bytes(value.value()),
                ));
            }
            out.push(DumpedAccount {
                address,
                account,
                storage: slots,
            });
        }
        Ok(out)
    }

    /// Where the transaction with `hash` was included, if it was.
    pub fn tx_location(&self, hash: &B256) -> StorageResult<Option<TxLocation>> {
        Ok(self.tx_lookup.get(hash.0)?.map(|v| {
            let (block, index) = v.value();
            TxLocation { block, index }
        }))
    }
}

impl StateReader for Snapshot {
    type Error = StorageError;

    fn account(&self, address: &Address) -> StorageResult<Option<TrieAccount>> {
        self.accounts
            .get(address.0.0)?
            .map(|v| v.value().decode()?.into_account())
            .transpose()
    }

    fn storage(&self, address: &Address, slot: &U256) -> StorageResult<U256> {
        Ok(self
            .storage
            .get((address.0.0, slot.to_be_bytes::<32>()))?
            .map(|v| U256::from_be_bytes(v.value()))
            .unwrap_or_default())
    }

    fn code(&self, code_hash: &B256) -> StorageResult<Option<Bytes>> {
        Ok(self
            .codes
            .get(code_hash.0)?
            .map(|v| Bytes::copy_from_slice(v.value())))
    }

    fn block_hash(&self, number: u64) -> StorageResult<Option<B256>> {
        self.canonical_hash(number)
    }
}

impl NodeReader for Snapshot {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self
            .trie_nodes
            .get(hash.0)
            .map_err(|e| Box::new(StorageError::from(e)) as StoreError)?
            .map(|v| Bytes::copy_from_slice(v.value())))
    }
}

//! The database handle and its write path.

use std::path::Path;

use alloy_consensus::{Header, Sealed};
use alloy_primitives::{B256, Bytes, U256};
use keel_primitives::{BlockPlugin, KeelReceipt, PluginSlot, SealedBlock};
use keel_trie::{AccountChange, StaleNodes, StateRootUpdate};
use redb::{Database, ReadableDatabase, ReadableTable, WriteTransaction};
use tracing::debug;

use crate::{
    ChangeSet, Snapshot, StorageError, StorageResult,
    batches::{BlockWitness, write_block_witness},
    codec::{StoredAccount, StoredBody, StoredReceipts},
    deposits::include_deposits,
    pieces::write_pieces,
    plugins::write_block_plugins,
    pruning::write_stale_nodes,
    tables::*,
    value::Encoded,
};

/// Everything one sealed block writes.
#[derive(Debug, Clone, Copy)]
pub struct BlockWrite<'a> {
    /// The block, with senders.
    pub block: &'a SealedBlock,
    /// Its receipts, one per transaction.
    pub receipts: &'a [KeelReceipt],
    /// The flat-state changes (storage slots, wipes).
    pub changes: &'a [AccountChange],
    /// New trie nodes and the resulting accounts.
    pub state: &'a StateRootUpdate,
    /// New contract code.
    pub codes: &'a [(B256, Bytes)],
    /// The plugins that shaped the block.
    pub plugins: &'a [BlockPlugin],
    /// Slots whose pending swap takes effect at this block: it moves from pending to history,
    /// with this block as its first.
    pub activated: &'a [PluginSlot],
    /// What building the block read from its pre-state (kept until its batch is sealed).
    pub witness: Option<&'a BlockWitness>,
}

/// The genesis state to write on first start.
#[derive(Debug, Clone, Copy)]
pub struct GenesisWrite<'a> {
    /// The genesis header.
    pub header: &'a Sealed<Header>,
    /// The genesis state trie and accounts.
    pub state: &'a StateRootUpdate,
    /// The genesis storage: (address, slot, value).
    pub storage: &'a [(alloy_primitives::Address, U256, U256)],
    /// Genesis contract code.
    pub codes: &'a [(B256, Bytes)],
}

/// What one table takes on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSize {
    /// The table's name (see `tables.rs`).
    pub name: String,
    /// Its entries.
    pub entries: u64,
    /// Bytes of its keys and values.
    pub stored_bytes: u64,
    /// Bytes of its B-tree's pages beyond them: branch pages, headers, free space in pages.
    pub overhead_bytes: u64,
}

impl TableSize {
    /// Everything it takes.
    pub const fn total_bytes(&self) -> u64 {
        self.stored_bytes + self.overhead_bytes
    }
}

/// Which past states a node keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StateHistory {
    /// Every block's state (RPC at any block); trie nodes are never deleted.
    #[default]
    Archive,
    /// The state of the last `blocks` blocks, and of every block the chain may still be
    /// unwound to ([`Storage::prune_state`]).
    Full {
        /// How many blocks below the head keep their state.
        blocks: u64,
    },
}

/// The chain database.
#[derive(Debug)]
pub struct Storage {
    db: Database,
    history: StateHistory,
}

impl Storage {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> StorageResult<Self> {
        let db = Database::create(path).map_err(|source| StorageError::Open {
            path: path.to_owned(),
            source,
        })?;
        // Create every table up front so readers never meet a missing one. A table of another
        // format (an older keel's) is refused by redb by its value type: say what that means.
        let incompatible = |error: redb::TableError| match error {
            redb::TableError::TableTypeMismatch { .. } => StorageError::Incompatible {
                path: path.to_owned(),
                found: format!("an older storage format ({error})"),
            },
            other => other.into(),
        };
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META).map_err(incompatible)?;
            let version = meta.get(META_SCHEMA_VERSION)?.map(|v| v.value());
            match version {
                Some(SCHEMA_VERSION) => {}
                Some(other) => {
                    return Err(StorageError::Incompatible {
                        path: path.to_owned(),
                        found: format!("storage format {other}"),
                    });
                }
                None if meta.get(META_HEAD)?.is_some() => {
                    return Err(StorageError::Incompatible {
                        path: path.to_owned(),
                        found: "a database without a format version".to_owned(),
                    });
                }
                None => {
                    meta.insert(META_SCHEMA_VERSION, SCHEMA_VERSION)?;
                }
            }
        }
        open_every_table(&txn).map_err(incompatible)?;
        txn.commit()?;
        Ok(Self {
            db,
            history: StateHistory::Archive,
        })
    }

    /// Keeps `history` of past states (default [`StateHistory::Archive`]). A full node's blocks
    /// list the trie nodes they make stale, for [`Storage::prune_state`] to drop later; blocks
    /// committed while archiving list none, so their old state is never pruned.
    pub fn keeping(mut self, history: StateHistory) -> Self {
        self.history = history;
        self
    }

    /// Which past states this node keeps.
    pub const fn state_history(&self) -> StateHistory {
        self.history
    }

    /// Whether the blocks committed here must come with their stale trie nodes
    /// ([`BlockWrite::state`]'s `stale`): what block builders ask their state update for.
    pub const fn stale_nodes(&self) -> StaleNodes {
        match self.history {
            StateHistory::Archive => StaleNodes::Ignore,
            StateHistory::Full { .. } => StaleNodes::Report,
        }
    }

    /// Every table's size, largest first: where a datadir's bytes go (`keel db stats`).
    pub fn table_sizes(&self) -> StorageResult<Vec<TableSize>> {
        use redb::{ReadableTableMetadata, TableHandle};
        let txn = self.db.begin_read()?;
        let mut sizes = Vec::new();
        for handle in txn.list_tables().map_err(redb::Error::from)? {
            let name = handle.name().to_owned();
            let table = txn.open_untyped_table(handle).map_err(redb::Error::from)?;
            let stats = table.stats().map_err(redb::Error::from)?;
            sizes.push(TableSize {
                name,
                entries: table.len().map_err(redb::Error::from)?,
                stored_bytes: stats.stored_bytes(),
                overhead_bytes: stats.metadata_bytes() + stats.fragmented_bytes(),
            });
        }
        sizes.sort_by_key(|size| core::cmp::Reverse(size.total_bytes()));
        Ok(sizes)
    }

    /// A consistent read view of the database as of now.
    pub fn snapshot(&self) -> StorageResult<Snapshot> {
        Snapshot::new(self.db.begin_read()?)
    }

    /// Writes the genesis block and state, or — if the database already has a chain — checks
    /// that it is the same genesis. Returns `true` if genesis was written now.
    pub fn init_genesis(&self, genesis: GenesisWrite<'_>) -> StorageResult<bool> {
        let snapshot = self.snapshot()?;
        if let Some(stored) = snapshot.genesis_hash()? {
            if stored != genesis.header.hash() {
                return Err(StorageError::GenesisMismatch {
                    stored,
                    configured: genesis.header.hash(),
                });
            }
            return Ok(false);
        }
        let txn = self.begin_write()?;
        {
            write_header(&txn, genesis.header)?;
            let body = StoredBody {
                transactions: vec![],
                senders: vec![],
            };
            write_pieces(&mut txn.open_table(BODIES)?, 0, &alloy_rlp::encode(&body))?;
            let receipts = alloy_rlp::encode(StoredReceipts::new(&[]));
            write_pieces(&mut txn.open_table(RECEIPTS)?, 0, &receipts)?;
            write_trie(&txn, genesis.state, None)?;
            write_codes(&txn, genesis.codes)?;
            let mut storage = txn.open_table(STORAGE)?;
            for (address, slot, value) in genesis.storage {
                if !value.is_zero() {
                    storage.insert(
                        (address.0.0, slot.to_be_bytes::<32>()),
                        value.to_be_bytes::<32>(),
                    )?;
                }
            }
            txn.open_table(META)?.insert(META_HEAD, 0)?;
        }
        txn.commit()?;
        Ok(true)
    }

    /// Persists a sealed block and its state in one write transaction: after a crash the
    /// database holds either all of it or none of it.
    pub fn commit_block(&self, write: BlockWrite<'_>) -> StorageResult<()> {
        let number = write.block.number();
        let txn = self.begin_write()?;
        {
            let head = read_head(&txn)?;
            if number != head + 1 {
                return Err(StorageError::NotNextBlock { number, head });
            }
            write_header(&txn, &write.block.header)?;
            let body = StoredBody {
                transactions: write.block.transactions.clone(),
                senders: write.block.senders.clone(),
            };
            write_pieces(
                &mut txn.open_table(BODIES)?,
                number,
                &alloy_rlp::encode(&body),
            )?;
            let receipts = alloy_rlp::encode(StoredReceipts::new(write.receipts));
            write_pieces(&mut txn.open_table(RECEIPTS)?, number, &receipts)?;
            txn.open_table(BLOCK_DATA_FEES)?
                .insert(number, Encoded::new(&write.block.data_fee))?;
            let mut lookup = txn.open_table(TX_LOOKUP)?;
            let mut hashes: Vec<(B256, u32)> = write
                .block
                .transactions
                .iter()
                .enumerate()
                .map(|(index, tx)| (tx.hash(), index as u32))
                .collect();
            hashes.sort_unstable();
            for (hash, index) in hashes {
                lookup.insert(hash.0, (number, index))?;
            }
            let mut changeset = ChangeSet::default();
            write_trie(&txn, write.state, Some(&mut changeset))?;
            if let StateHistory::Full { .. } = self.history {
                write_stale_nodes(&txn, number, &write.state.stale)?;
            }
            write_codes(&txn, write.codes)?;
            write_storage(&txn, write.changes, &mut changeset)?;
            txn.open_table(BLOCK_CHANGESETS)?
                .insert(number, Encoded::new(&changeset))?;
            write_block_plugins(&txn, number, write.plugins, write.activated)?;
            include_deposits(&txn, &write.block.transactions)?;
            if let Some(witness) = write.witness {
                write_block_witness(&txn, number, witness)?;
            }
            txn.open_table(META)?.insert(META_HEAD, number)?;
        }
        txn.commit()?;
        debug!(target: "keel::storage", number, hash = %write.block.hash(), "block committed");
        Ok(())
    }

    pub(crate) fn begin_write(&self) -> StorageResult<WriteTransaction> {
        // redb's default durability is `Immediate`: the commit is on disk (fsync) before
        // `commit` returns, so an acknowledged block survives `kill -9` and power loss alike.
        Ok(self.db.begin_write()?)
    }
}

/// Opens (creating) every table, so that readers never meet a missing one and a table of
/// another format is found at start.
fn open_every_table(txn: &WriteTransaction) -> Result<(), redb::TableError> {
    txn.open_table(CANONICAL)?;
    txn.open_table(HEADERS)?;
    txn.open_table(BLOCK_NUMBERS)?;
    txn.open_table(BODIES)?;
    txn.open_table(RECEIPTS)?;
    txn.open_table(BLOCK_DATA_FEES)?;
    txn.open_table(TX_LOOKUP)?;
    txn.open_table(ACCOUNTS)?;
    txn.open_table(STORAGE)?;
    txn.open_table(CODES)?;
    txn.open_table(TRIE_NODES)?;
    txn.open_table(TRIE_NODE_REFS)?;
    txn.open_table(TRIE_STALE)?;
    txn.open_table(PLUGIN_CODE)?;
    txn.open_table(PLUGIN_HISTORY)?;
    txn.open_table(PLUGIN_PENDING)?;
    txn.open_table(BLOCK_PLUGINS)?;
    txn.open_table(BLOCK_WITNESSES)?;
    txn.open_table(BATCHES)?;
    txn.open_table(PROVER_INPUTS)?;
    txn.open_table(BATCH_FRAMES)?;
    txn.open_table(BATCH_COMMITS)?;
    txn.open_table(BLOCK_CHANGESETS)?;
    txn.open_table(LEASES)?;
    txn.open_table(PROOFS)?;
    txn.open_table(CLOSED_BATCHES)?;
    txn.open_table(L1_DEPOSITS)?;
    txn.open_table(L1_CHECKPOINTS)?;
    txn.open_table(REQUEUED_TXS)?;
    Ok(())
}

/// The head block number, inside a write transaction.
pub(crate) fn read_head(txn: &WriteTransaction) -> StorageResult<u64> {
    let meta = txn.open_table(META)?;
    let head = meta.get(META_HEAD)?.map(|v| v.value());
    head.ok_or_else(|| StorageError::Corrupt {
        table: "meta",
        reason: "no head block".to_owned(),
    })
}

fn write_header(txn: &WriteTransaction, header: &Sealed<Header>) -> StorageResult<()> {
    let number = header.number;
    txn.open_table(HEADERS)?
        .insert(number, Encoded::new(header.inner()))?;
    txn.open_table(CANONICAL)?.insert(number, header.hash().0)?;
    txn.open_table(BLOCK_NUMBERS)?
        .insert(header.hash().0, number)?;
    Ok(())
}

/// Writes the trie nodes and accounts of `state`; the accounts it replaces go to `changeset`.
fn write_trie(
    txn: &WriteTransaction,
    state: &StateRootUpdate,
    mut changeset: Option<&mut ChangeSet>,
) -> StorageResult<()> {
    let mut nodes = txn.open_table(TRIE_NODES)?;
    let mut refs = txn.open_table(TRIE_NODE_REFS)?;
    // Hash order turns random B-tree inserts into one left-to-right pass over the leaves,
    // which is what makes a block's commit cheap. Each listing of a node is one more place
    // referring to it: a node listed twice, or already stored, is counted in `trie_node_refs`.
    let mut sorted: Vec<&(B256, Bytes)> = state.nodes.iter().collect();
    sorted.sort_unstable_by_key(|(hash, _)| *hash);
    for group in sorted.chunk_by(|a, b| a.0 == b.0) {
        let (hash, node) = group[0];
        let added = group.len() as u32;
        let stored = nodes.insert(hash.0, node.as_ref())?.is_some();
        if stored || added > 1 {
            let held = match stored {
                true => refs.get(hash.0)?.map_or(1, |count| count.value()),
                false => 0,
            };
            refs.insert(hash.0, held.saturating_add(added))?;
        }
    }
    let mut accounts = txn.open_table(ACCOUNTS)?;
    for (address, account) in &state.accounts {
        let prior = match account {
            Some(account) => {
                accounts.insert(address.0.0, Encoded::new(&StoredAccount::from(account)))?
            }
            None => accounts.remove(address.0.0)?,
        };
        if let Some(changeset) = changeset.as_deref_mut() {
            let prior = prior.map(|v| v.value().decode()?.into_account());
            changeset.account(address.0.0, prior.transpose()?);
        }
    }
    Ok(())
}

fn write_codes(txn: &WriteTransaction, codes: &[(B256, Bytes)]) -> StorageResult<()> {
    let mut table = txn.open_table(CODES)?;
    for (hash, code) in codes {
        table.insert(hash.0, code.as_ref())?;
    }
    Ok(())
}

/// Writes the storage slots of `changes`; the values they replace go to `changeset`.
fn write_storage(
    txn: &WriteTransaction,
    changes: &[AccountChange],
    changeset: &mut ChangeSet,
) -> StorageResult<()> {
    let mut table = txn.open_table(STORAGE)?;
    for change in changes {
        let address = change.address.0.0;
        if change.storage_wiped || change.info.is_none() {
            let stale: Vec<([u8; 32], [u8; 32])> = table
                .range((address, [0u8; 32])..=(address, [0xffu8; 32]))?
                .map(|entry| entry.map(|(key, value)| (key.value().1, value.value())))
                .collect::<Result<_, _>>()?;
            for (slot, value) in stale {
                table.remove((address, slot))?;
                changeset.slot(address, slot, Some(value));
            }
        }
        for (slot, value) in &change.storage {
            let key = (address, slot.to_be_bytes::<32>());
            let prior = if value.is_zero() {
                table.remove(key)?
            } else {
                table.insert(key, value.to_be_bytes::<32>())?
            };
            changeset.slot(address, key.1, prior.map(|v| v.value()));
        }
    }
    Ok(())
}

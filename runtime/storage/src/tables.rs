//! Every redb table Keel uses, in one place, with the type of what it holds.
//!
//! Keys are integers, fixed-width byte arrays or tuples of them, so redb's ordering is the
//! natural one. Values are typed: a domain type stored as RLP under a pinned name
//! ([`Rlp<T>`], see [`crate::value`]), a counter (`u64`), or bytes that are opaque here
//! (contract code, trie nodes, plugin components, encoded prover inputs). redb stores each
//! table's key and value type names on disk and refuses to open a table as other types, so a
//! changed value type is a new storage format ([`SCHEMA_VERSION`]).

use alloy_consensus::Header;
use keel_primitives::{Batch, DataFee, L1Deposit, Lease, StoredProof};
use redb::TableDefinition;

use crate::{
    BatchCommit, BlockWitness, ChangeSet,
    codec::StoredAccount,
    plugins::{StoredActivation, StoredBlockPlugin},
    value::Rlp,
};

/// The storage format this build writes and reads (meta key [`META_SCHEMA_VERSION`]). A
/// database of another version is refused at open with an error saying so.
///
/// - 1: values as untyped bytes, the genesis hash in `meta` (before typed tables).
/// - 2: typed values ([`Rlp<T>`]), counters in `meta` as `u64`.
/// - 3: batches carry their blobs and an 11-word output (`keel::Batch/v2`); batch frames,
///   batch commits (followers) and block change sets (undo data).
/// - 4: every block's L1 data fee (`block_data_fees`); batch frames of payload version 2.
/// - 5: L1 messages with calls (`keel::L1Deposit/v2`, deposit transactions with call fields);
///   batch frames of payload version 3; batch outputs carry the chain spec hash
///   (`keel::Batch/v3`).
/// - 6: batch outputs carry the last block's timestamp (`keel::Batch/v4`,
///   `keel::StoredProof/v2`); L1 scan checkpoints (`l1_checkpoints`).
///
/// - 7: receipts stored without their blooms (`keel::Receipts/v2`).
/// - 8: trie nodes are reference counted (`trie_node_refs`) and each block lists the nodes it
///   made stale (`trie_stale`), so old state can be pruned; `meta` `state_from`; flat accounts
///   without their empty roots (`keel::Account/v1`); block bodies, receipts, payload frames and
///   prover inputs in page-sized pieces.
///
/// Tables added since, without a new version (an older build never reads them, and a
/// database without one starts it empty): `closed_batches`.
pub const SCHEMA_VERSION: u64 = 8;

/// Canonical block number → block hash.
pub(crate) const CANONICAL: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("canonical");
/// Block number → RLP header.
pub(crate) const HEADERS: TableDefinition<'_, u64, Rlp<Header>> = TableDefinition::new("headers");
/// Block hash → block number.
pub(crate) const BLOCK_NUMBERS: TableDefinition<'_, [u8; 32], u64> =
    TableDefinition::new("block_numbers");
/// (Block number, piece) → the block's RLP body (`keel::Body/v1`: transactions and their
/// recovered senders), in pieces of a page (`crate::pieces`).
pub(crate) const BODIES: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("bodies");
/// Block number → the L1 data fee its transactions paid (none for genesis).
pub(crate) const BLOCK_DATA_FEES: TableDefinition<'_, u64, Rlp<DataFee>> =
    TableDefinition::new("block_data_fees");
/// (Block number, piece) → its receipts, without their blooms (recomputed when read;
/// `keel::Receipts/v2`), in pieces of a page (`crate::pieces`).
pub(crate) const RECEIPTS: TableDefinition<'_, (u64, u32), &[u8]> =
    TableDefinition::new("receipts");
/// Transaction hash → (block number, index in block).
pub(crate) const TX_LOOKUP: TableDefinition<'_, [u8; 32], (u64, u32)> =
    TableDefinition::new("tx_lookup");
/// Address → the account in the latest state, without its empty roots.
pub(crate) const ACCOUNTS: TableDefinition<'_, [u8; 20], Rlp<StoredAccount>> =
    TableDefinition::new("accounts");
/// (address, slot) → value, latest state; zero values are absent.
pub(crate) const STORAGE: TableDefinition<'_, ([u8; 20], [u8; 32]), [u8; 32]> =
    TableDefinition::new("storage");
/// Code hash → contract bytecode.
pub(crate) const CODES: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("codes");
/// keccak(node) → RLP trie node, for the account trie and every storage trie. A node goes when
/// its last reference does and the state that last held it is older than the node keeps
/// (see `crate::pruning`).
pub(crate) const TRIE_NODES: TableDefinition<'_, [u8; 32], &[u8]> =
    TableDefinition::new("trie_nodes");
/// keccak(node) → how many places in the kept tries refer to the node, for the few nodes
/// referred to from more than one (identical subtrees share one stored node); a node in
/// `trie_nodes` and not here has one.
pub(crate) const TRIE_NODE_REFS: TableDefinition<'_, [u8; 32], u32> =
    TableDefinition::new("trie_node_refs");
/// Block number → the nodes the block's state stopped referring to, one entry per place left
/// ([`keel_trie::StaleNodes`]): 32-byte hashes, concatenated, ascending. Applied (each entry
/// drops a reference) when the block's parent state is pruned; not written by an archive node.
pub(crate) const TRIE_STALE: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("trie_stale");
/// sha256 → a plugin's component bytes (every plugin ever loaded).
pub(crate) const PLUGIN_CODE: TableDefinition<'_, [u8; 32], &[u8]> =
    TableDefinition::new("plugin_code");
/// (slot tag, first block) → RLP activation; the last entry of a slot is its active plugin.
pub(crate) const PLUGIN_HISTORY: TableDefinition<'_, (u8, u64), Rlp<StoredActivation>> =
    TableDefinition::new("plugin_history");
/// Slot tag → RLP activation waiting for its block.
pub(crate) const PLUGIN_PENDING: TableDefinition<'_, u8, Rlp<StoredActivation>> =
    TableDefinition::new("plugin_pending");
/// Block number → RLP list of the plugins that shaped it.
pub(crate) const BLOCK_PLUGINS: TableDefinition<'_, u64, Rlp<Vec<StoredBlockPlugin>>> =
    TableDefinition::new("block_plugins");
/// Block number → RLP witness the block recorded; dropped once its batch is sealed.
pub(crate) const BLOCK_WITNESSES: TableDefinition<'_, u64, Rlp<BlockWitness>> =
    TableDefinition::new("block_witnesses");
/// Batch number → RLP sealed batch.
pub(crate) const BATCHES: TableDefinition<'_, u64, Rlp<Batch>> = TableDefinition::new("batches");
/// (Batch number, piece) → the batch's payload frame (`keel_da::Frame`): what its blobs carry,
/// in pieces of a page (`crate::pieces`).
pub(crate) const BATCH_FRAMES: TableDefinition<'_, (u64, u32), &[u8]> =
    TableDefinition::new("batch_frames");
/// Batch number → RLP record of where L1 took the batch's commit (a follower's reorg check).
pub(crate) const BATCH_COMMITS: TableDefinition<'_, u64, Rlp<BatchCommit>> =
    TableDefinition::new("batch_commits");
/// Block number → RLP change set: what the block overwrote in the flat state, to unwind it.
/// Pruned once the block can no longer be reorganised away.
pub(crate) const BLOCK_CHANGESETS: TableDefinition<'_, u64, Rlp<ChangeSet>> =
    TableDefinition::new("block_changesets");
/// (Batch number, piece) → the batch's encoded prover input, in pieces of a page
/// (`crate::pieces`).
pub(crate) const PROVER_INPUTS: TableDefinition<'_, (u64, u32), &[u8]> =
    TableDefinition::new("prover_inputs");
/// Batch number → RLP lease held by a prover.
pub(crate) const LEASES: TableDefinition<'_, u64, Rlp<Lease>> = TableDefinition::new("leases");
/// Batch number → RLP accepted proof.
pub(crate) const PROOFS: TableDefinition<'_, u64, Rlp<StoredProof>> =
    TableDefinition::new("proofs");
/// Batch number → (first block, last block) of a batch the proposer closed and the sealer has
/// not sealed yet; removed when it is sealed. A block's witness leaves out what earlier blocks
/// of its batch created, so a batch can be sealed only over the blocks it was closed with: a
/// restart reads them here.
pub(crate) const CLOSED_BATCHES: TableDefinition<'_, u64, (u64, u64)> =
    TableDefinition::new("closed_batches");
/// Deposit id → RLP `L1Deposit` the L1 watcher saw (kept after inclusion, for RPC).
pub(crate) const L1_DEPOSITS: TableDefinition<'_, u64, Rlp<L1Deposit>> =
    TableDefinition::new("l1_deposits");
/// L1 block number → hash, at the end of each range the deposit watcher scanned (the last
/// [`L1_CHECKPOINT_DEPTH`] blocks): how it finds where an L1 reorganisation forked.
pub(crate) const L1_CHECKPOINTS: TableDefinition<'_, u64, [u8; 32]> =
    TableDefinition::new("l1_checkpoints");
/// How many L1 blocks back scan checkpoints are kept: ~27 hours of 12 s blocks, far deeper than
/// any reorganisation of a chain with finality.
pub(crate) const L1_CHECKPOINT_DEPTH: u64 = 8192;
/// Transactions of blocks an L1 revert took off the chain (`keel revert`), as EIP-2718 bytes in
/// their chain order, waiting to be offered to the mempool at the next start.
pub(crate) const REQUEUED_TXS: TableDefinition<'_, u64, &[u8]> =
    TableDefinition::new("requeued_txs");

/// Named counters: [`META_SCHEMA_VERSION`], [`META_HEAD`], [`META_L1_SCANNED_TO`],
/// [`META_NEXT_L2_DEPOSIT`], [`META_L1_COMMITTED_BATCH`], [`META_L1_VERIFIED_BATCH`],
/// [`META_L1_REVERTS`], [`META_STATE_FROM`].
pub(crate) const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

/// Meta key: the storage format ([`SCHEMA_VERSION`]).
pub(crate) const META_SCHEMA_VERSION: &str = "schema_version";
/// Meta key: the number of the last sealed block. (The genesis hash, checked against the
/// config at every start, is `CANONICAL[0]`.)
pub(crate) const META_HEAD: &str = "head";
/// Meta key: the last L1 block the deposit watcher has scanned.
pub(crate) const META_L1_SCANNED_TO: &str = "l1_scanned_to";
/// Meta key: the id of the next L1 deposit to include on L2.
pub(crate) const META_NEXT_L2_DEPOSIT: &str = "next_l2_deposit";
/// Meta key: the last batch L1 committed, as the settler last read it.
pub(crate) const META_L1_COMMITTED_BATCH: &str = "l1_committed_batch";
/// Meta key: the last batch L1 verified, as the settler last read it.
pub(crate) const META_L1_VERIFIED_BATCH: &str = "l1_verified_batch";
/// Meta key: how many of L1's batch reverts (`OnChainProposer.reverts`) this chain has applied.
pub(crate) const META_L1_REVERTS: &str = "l1_reverts";
/// Meta key: the oldest block whose state the trie still holds whole (absent: genesis); the
/// states of earlier blocks were pruned.
pub(crate) const META_STATE_FROM: &str = "state_from";

//! Every redb table Keel uses, in one place.
//!
//! Keys are fixed-width byte arrays or big-endian integers so that redb's ordering is the
//! natural one; values are RLP (see [`crate::codec`]). redb stores each table's key and value
//! *type names* on disk; only redb's built-in types are used here, whose names are stable.

use redb::TableDefinition;

/// Canonical block number → block hash.
pub const CANONICAL: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("canonical");
/// Block number → RLP header.
pub const HEADERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("headers");
/// Block hash → block number.
pub const BLOCK_NUMBERS: TableDefinition<'_, [u8; 32], u64> = TableDefinition::new("block_numbers");
/// Block number → RLP body (transactions and their recovered senders).
pub const BODIES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("bodies");
/// Block number → RLP list of EIP-2718 receipts.
pub const RECEIPTS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("receipts");
/// Transaction hash → (block number, index in block).
pub const TX_LOOKUP: TableDefinition<'_, [u8; 32], (u64, u32)> = TableDefinition::new("tx_lookup");
/// Address → RLP `TrieAccount` of the latest state.
pub const ACCOUNTS: TableDefinition<'_, [u8; 20], &[u8]> = TableDefinition::new("accounts");
/// (address, slot) → value, latest state; zero values are absent.
pub const STORAGE: TableDefinition<'_, ([u8; 20], [u8; 32]), [u8; 32]> =
    TableDefinition::new("storage");
/// Code hash → contract bytecode.
pub const CODES: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("codes");
/// keccak(node) → RLP trie node, for the account trie and every storage trie. Never pruned.
pub const TRIE_NODES: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("trie_nodes");
/// sha256 → a plugin's component bytes (every plugin ever loaded).
pub const PLUGIN_CODE: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("plugin_code");
/// (slot tag, first block) → RLP activation; the last entry of a slot is its active plugin.
pub const PLUGIN_HISTORY: TableDefinition<'_, (u8, u64), &[u8]> =
    TableDefinition::new("plugin_history");
/// Slot tag → RLP activation waiting for its block.
pub const PLUGIN_PENDING: TableDefinition<'_, u8, &[u8]> = TableDefinition::new("plugin_pending");
/// Block number → RLP list of the plugins that shaped it.
pub const BLOCK_PLUGINS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("block_plugins");
/// Block number → RLP witness the block recorded; dropped once its batch is sealed.
pub const BLOCK_WITNESSES: TableDefinition<'_, u64, &[u8]> =
    TableDefinition::new("block_witnesses");
/// Batch number → RLP sealed batch.
pub const BATCHES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("batches");
/// Batch number → the batch's encoded prover input.
pub const PROVER_INPUTS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("prover_inputs");
/// Batch number → RLP lease held by a prover.
pub const LEASES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("leases");
/// Batch number → RLP accepted proof.
pub const PROOFS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("proofs");
/// Deposit id → RLP `L1Deposit` the L1 watcher saw (kept after inclusion, for RPC).
pub const L1_DEPOSITS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("l1_deposits");
/// Small named values: [`META_HEAD`], [`META_GENESIS`], [`META_L1_SCANNED_TO`],
/// [`META_NEXT_L2_DEPOSIT`], [`META_L1_COMMITTED_BATCH`], [`META_L1_VERIFIED_BATCH`].
pub const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");

/// Meta key: the number of the last sealed block (8 bytes, big endian).
pub const META_HEAD: &str = "head";
/// Meta key: the genesis block hash, checked against the config at every start.
pub const META_GENESIS: &str = "genesis_hash";
/// Meta key: the last L1 block the deposit watcher has scanned (8 bytes, big endian).
pub const META_L1_SCANNED_TO: &str = "l1_scanned_to";
/// Meta key: the id of the next L1 deposit to include on L2 (8 bytes, big endian).
pub const META_NEXT_L2_DEPOSIT: &str = "next_l2_deposit";
/// Meta key: the last batch L1 committed, as the settler last read it (8 bytes, big endian).
pub const META_L1_COMMITTED_BATCH: &str = "l1_committed_batch";
/// Meta key: the last batch L1 verified, as the settler last read it (8 bytes, big endian).
pub const META_L1_VERIFIED_BATCH: &str = "l1_verified_batch";

//! Block production, phase by phase: revm execution (Mgas/s), state-root computation and the
//! redb commit, for blocks of ETH transfers over a state with many accounts; then the same for
//! blocks of 1,000, 10,000 and 47,619 transfers (one second of the issue-21 load at its
//! sustained rate), with each phase per transaction, to show whether any grows faster than
//! the block.
//!
//! The per-transaction table runs each size twice: as an archive node, and as a full node that
//! keeps 2 blocks of state history (it finds the trie nodes each block makes stale and prunes
//! after each commit: the `prune` column), with what the database's tables hold per transfer
//! after the run (every transfer pays a fresh recipient: the state itself grows by an account
//! each). `KEEL_BENCH_STATE=archive` or `full` runs one of them.
//!
//! `cargo bench -p keel-sequencer --bench block` prints medians over several blocks. Inputs are
//! deterministic (keys from fixed seeds); no number here is asserted.

use std::time::Instant;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use keel_evm::{BaseFeeRule, BlockAttributes, BlockBuilder, Eip1559BaseFee, TxOutcome};
use keel_primitives::ChainSpec;
use keel_sequencer::build_genesis;
use keel_storage::{BlockWrite, StateHistory, Storage};

const CHAIN_ID: u64 = 65_536_999;
const BLOCKS: usize = 7;

fn main() {
    for (senders, txs_per_block) in [(1_000usize, 5_000usize), (10_000, 5_000), (1_000, 10_000)] {
        let phases = run(senders, txs_per_block, StateHistory::Archive);
        println!(
            "block of {txs_per_block} transfers, {senders} funded senders: execution {:.1} ms \
             ({:.0} Mgas/s), state root {:.1} ms, redb commit {:.1} ms  (medians of {BLOCKS} blocks)",
            phases.exec_ms, phases.mgas_per_s, phases.root_ms, phases.commit_ms,
        );
    }
    println!(
        "\nper transaction, 2,000 senders (a phase that grows faster than the block shows here):"
    );
    println!(
        "{:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "state",
        "txs",
        "exec ms",
        "root ms",
        "commit ms",
        "prune ms",
        "total ms",
        "total µs/tx",
        "tables B/tx"
    );
    let modes = std::env::var("KEEL_BENCH_STATE").unwrap_or_else(|_| "archive,full".into());
    for txs_per_block in [1_000usize, 10_000, 47_619] {
        for mode in modes.split(',') {
            let history = match mode.trim() {
                "archive" => StateHistory::Archive,
                "full" => StateHistory::Full { blocks: 2 },
                other => panic!("KEEL_BENCH_STATE: archive or full, not {other:?}"),
            };
            let phases = run(2_000, txs_per_block, history);
            println!(
                "{mode:>8} {txs_per_block:>8} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>12.1} {:>12.0}",
                phases.exec_ms,
                phases.root_ms,
                phases.commit_ms,
                phases.prune_ms,
                phases.total_ms(),
                phases.total_ms() * 1e3 / txs_per_block as f64,
                phases.db_bytes as f64 / (BLOCKS * txs_per_block) as f64,
            );
        }
    }
}

/// Median milliseconds of each phase of a block.
struct Phases {
    exec_ms: f64,
    /// Execution throughput.
    mgas_per_s: f64,
    root_ms: f64,
    commit_ms: f64,
    /// Pruning after the commit (a full node's only).
    prune_ms: f64,
    /// What the database's tables hold after the last block (the file itself keeps the pages
    /// pruning frees, for later blocks to reuse).
    db_bytes: u64,
}

impl Phases {
    fn total_ms(&self) -> f64 {
        self.exec_ms + self.root_ms + self.commit_ms + self.prune_ms
    }
}

fn run(senders: usize, txs_per_block: usize, history: StateHistory) -> Phases {
    let keys: Vec<PrivateKeySigner> = (0..senders)
        .map(|i| PrivateKeySigner::from_bytes(&B256::from(U256::from(i + 1))).expect("valid key"))
        .collect();
    let mut toml = format!("[chain]\nchain_id = {CHAIN_ID}\n[genesis]\ngas_limit = 1000000000\n");
    for key in &keys {
        toml += &format!(
            "[genesis.alloc.\"{}\"]\nbalance = \"0x21e19e0c9bab2400000\"\n",
            key.address()
        );
    }
    let config = keel_sequencer::config::GenesisFile::parse(&toml);
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(&dir.path().join("keel.redb"))
        .expect("open")
        .keeping(history);
    storage
        .init_genesis(build_genesis(&config.genesis).write())
        .expect("genesis");
    let spec = ChainSpec::ethereum_like(CHAIN_ID);
    let fee_rule = Eip1559BaseFee::new(spec);

    let mut nonces = vec![0u64; senders];
    let (mut exec, mut root, mut commit, mut prune, mut mgas) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for block in 0..BLOCKS {
        let snapshot = storage.snapshot().expect("snapshot");
        let parent = snapshot.head().expect("head");
        let base_fee = fee_rule.next_base_fee(&parent);
        let txs: Vec<(TxEnvelope, Address)> = (0..txs_per_block)
            .map(|i| {
                let s = (block * txs_per_block + i) % senders;
                let mut tx = TxEip1559 {
                    chain_id: CHAIN_ID,
                    nonce: nonces[s],
                    gas_limit: 21_000,
                    max_fee_per_gas: 100_000_000_000,
                    max_priority_fee_per_gas: 1,
                    // Fresh recipients: every transfer creates an account, the worst case for the trie.
                    to: TxKind::Call(Address::from_word(B256::from(U256::from(
                        block * txs_per_block + i + 1_000_000_000,
                    )))),
                    value: U256::from(1),
                    ..Default::default()
                };
                nonces[s] += 1;
                let signature = keys[s].sign_transaction_sync(&mut tx).expect("sign");
                (
                    TxEnvelope::from(tx.into_signed(signature)),
                    keys[s].address(),
                )
            })
            .collect();
        let attributes = BlockAttributes {
            timestamp: parent.timestamp + 1,
            coinbase: Address::repeat_byte(0xc0),
            gas_limit: 1_000_000_000,
            base_fee,
            extra_data: Bytes::new(),
            data_fee: Default::default(),
        };
        let mut builder = BlockBuilder::new(&spec, &snapshot, &parent, attributes)
            .with_stale_nodes(storage.stale_nodes());
        let started = Instant::now();
        for (tx, sender) in txs {
            let outcome = builder.push(tx, sender).expect("execute");
            assert!(matches!(outcome, TxOutcome::Included { .. }), "{outcome:?}");
        }
        let executed = started.elapsed();
        let started = Instant::now();
        let built = builder.finish(&snapshot).expect("finish");
        let rooted = started.elapsed();
        drop(snapshot);
        let started = Instant::now();
        storage
            .commit_block(BlockWrite {
                block: &built.block,
                receipts: &built.receipts,
                changes: &built.changes,
                state: &built.state,
                codes: &built.codes,
                plugins: &[],
                activated: &[],
                witness: None,
            })
            .expect("commit");
        let committed = started.elapsed();
        let started = Instant::now();
        if let StateHistory::Full { blocks } = history {
            // What a standalone node's pruner does (it runs on its own thread there).
            let head = built.block.number();
            storage
                .prune_changesets_to(head.saturating_sub(blocks))
                .expect("prune change sets");
            while storage.prune_state(usize::MAX).expect("prune").blocks > 0 {}
        }
        prune.push(started.elapsed().as_secs_f64() * 1e3);
        exec.push(executed.as_secs_f64() * 1e3);
        root.push(rooted.as_secs_f64() * 1e3);
        commit.push(committed.as_secs_f64() * 1e3);
        mgas.push(built.block.header.gas_used as f64 / 1e6 / executed.as_secs_f64());
    }
    Phases {
        exec_ms: median(&mut exec),
        mgas_per_s: median(&mut mgas),
        root_ms: median(&mut root),
        commit_ms: median(&mut commit),
        prune_ms: median(&mut prune),
        db_bytes: storage
            .table_sizes()
            .expect("table sizes")
            .iter()
            .map(|table| table.total_bytes())
            .sum(),
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

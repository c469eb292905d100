//! What proving and posting cost per transaction before any prover runs: witness bytes and
//! prover-input bytes per ETH transfer and per ERC-20 transfer, the stateless STF's native time
//! per batch (what `keel-prover --backend exec` spends, and what a zkVM proves), and the data
//! each transaction puts in blobs: the batch's payload as plain RLP, as the zstd frame the
//! node posts, and brotli's size for the same payload (for comparison), with the transactions
//! one blob holds at the posted size. Recipients and amounts are random: the worst case for
//! compression. Last, a follower's pace: each batch's frame replayed onto a second database
//! (Mgas/s, against the proposer's building rate) and the KZG commitment per blob a follower
//! computes to check what a beacon node served.
//!
//! `cargo bench -p keel-sequencer --bench batch`. Blocks go through the real proposer (pool,
//! witness recording, batcher); batches are sealed one per measured block. No number here is
//! asserted.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolConstructor};
use keel_da::{BLOB_CAPACITY, FRAME_HEADER_BYTES, Frame};
use keel_evm::Eip1559BaseFee;
use keel_mempool::{Mempool, PoolConfig};
use keel_primitives::ChainSpec;
use keel_sequencer::config::BatcherConfig;
use keel_sequencer::{BlockRules, Proposer, ProposerConfig, SequencerMetrics, build_genesis};
use keel_stf::{ProverInput, execute_batch};
use keel_storage::Storage;

alloy_sol_types::sol!(TestToken, "../../contracts/out/TestToken.json");

const CHAIN_ID: u64 = 65_536_999;
const SENDERS: usize = 200;
const BLOCKS: usize = 5;

/// When set, the last batch of each kind and size is written there as `<kind>-<txs>.rlp` (its
/// RLP prover input), for keel-prover-openvm's `meter` example to count guest instructions per
/// transaction, and for `e2e/fixtures/prover-inputs` (the GPU bench's inputs).
const DUMP_ENV: &str = "KEEL_BENCH_INPUTS";

fn main() {
    let dump = std::env::var_os(DUMP_ENV).map(std::path::PathBuf::from);
    let mut bench = Bench::new();
    bench.setup_tokens();
    // A follower's database, kept level with the sequencer's by replaying each batch's frame.
    let mut replica = Replica::new(&bench);
    replica.catch_up(&bench.storage);
    // `KEEL_BENCH_BATCH_TXS`: transactions per batch, comma-separated (at most SENDERS each;
    // default 200). e2e/fixtures/prover-inputs holds ETH-transfer batches of 1 and 100 made so.
    let sizes: Vec<usize> = std::env::var("KEEL_BENCH_BATCH_TXS")
        .unwrap_or_else(|_| "200".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|n| (1..=SENDERS).contains(n))
        .collect();
    let runs: Vec<(&str, usize)> = ["ETH transfer", "ERC-20 transfer"]
        .into_iter()
        .flat_map(|kind| sizes.iter().map(move |&txs| (kind, txs)))
        .collect();
    for (kind, txs) in runs {
        let mut witness = Vec::new();
        let mut input = Vec::new();
        let mut stf = Vec::new();
        let mut stf_per_tx = Vec::new();
        let (mut raw, mut zstd, mut brotli) = (Vec::new(), Vec::new(), Vec::new());
        let (mut build, mut built, mut replay, mut kzg) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..BLOCKS {
            for i in 0..txs {
                let seed = keccak256((round * 10_000 + i).to_be_bytes());
                let recipient = Address::from_slice(&seed[..20]);
                // Up to 2^40 wei (or token units): a few random bytes, as real amounts have.
                let amount = U256::from(u64::from_be_bytes(seed[20..28].try_into().unwrap()) >> 24);
                match kind {
                    "ETH transfer" => {
                        bench.send(i, TxKind::Call(recipient), amount, Bytes::new(), 21_000)
                    }
                    _ => {
                        let call = TestToken::transferCall {
                            to: recipient,
                            value: amount,
                        };
                        bench.send(
                            i,
                            TxKind::Call(bench.token),
                            U256::ZERO,
                            call.abi_encode().into(),
                            60_000,
                        );
                    }
                }
            }
            // This block alone is the next batch: the batcher seals the open one first.
            let started = Instant::now();
            bench.proposer.build_block().expect("block");
            build.push(started.elapsed().as_secs_f64());
            let batch = bench.seal();
            let (replayed_gas, replay_time, kzg_time, blobs) = replica.catch_up(&bench.storage);
            replay.push(replayed_gas as f64 / replay_time / 1e6);
            built.push(batch.gas_used as f64 / build.last().copied().unwrap_or(1.0) / 1e6);
            kzg.push(kzg_time * 1e3 / blobs as f64);
            let bytes = bench
                .storage
                .snapshot()
                .expect("snapshot")
                .prover_input(batch.number)
                .expect("read")
                .expect("input");
            if let Some(dir) = &dump
                && round + 1 == BLOCKS
            {
                let name = format!("{}-{txs}.rlp", kind.to_lowercase().replace(' ', "-"));
                std::fs::create_dir_all(dir).expect("create the input directory");
                std::fs::write(dir.join(&name), &bytes).expect("write the input");
                println!("wrote {}", dir.join(name).display());
            }
            let frame = bench
                .storage
                .snapshot()
                .expect("snapshot")
                .batch_frame(batch.number)
                .expect("read")
                .expect("frame");
            let blocks = Frame::parse(&frame)
                .expect("frame")
                .blocks()
                .expect("blocks");
            let plain = Frame::uncompressed(&blocks);
            let payload = &plain.0[FRAME_HEADER_BYTES..];
            let mut compressed = Vec::new();
            brotli::BrotliCompress(
                &mut &payload[..],
                &mut compressed,
                &brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    lgwin: 24,
                    ..Default::default()
                },
            )
            .expect("brotli");
            let per_tx = |bytes: usize| bytes as f64 / batch.transactions as f64;
            raw.push(per_tx(payload.len()));
            zstd.push(per_tx(frame.len()));
            brotli.push(per_tx(compressed.len()));
            let decoded = ProverInput::decode(&bytes).expect("decode");
            let started = Instant::now();
            let output = execute_batch(&decoded)
                .expect("the STF reproduces the batch")
                .output;
            let elapsed = started.elapsed();
            assert_eq!(output, batch.output);
            witness.push(batch.witness_bytes as f64 / batch.transactions as f64);
            input.push(batch.input_bytes as f64 / batch.transactions as f64);
            stf.push(elapsed.as_secs_f64() * 1e3);
            stf_per_tx.push(elapsed.as_secs_f64() * 1e6 / batch.transactions as f64);
        }
        println!(
            "{kind:>15}: {txs} txs/batch, {SENDERS} senders | witness {:>6.0} B/tx | input {:>6.0} B/tx | STF {:>7.2} ms/batch, {:>6.1} µs/tx (medians of {BLOCKS})",
            median(&mut witness),
            median(&mut input),
            median(&mut stf),
            median(&mut stf_per_tx)
        );
        let zstd = median(&mut zstd);
        println!(
            "{kind:>15}: blob data | RLP {:>5.1} B/tx | zstd (posted) {:>5.1} B/tx | brotli-11 {:>5.1} B/tx | {:>5.0} txs per blob at the posted size",
            median(&mut raw),
            zstd,
            median(&mut brotli),
            BLOB_CAPACITY as f64 / zstd
        );
        println!(
            "{kind:>15}: follower | replays {:>6.1} Mgas/s (the proposer, sealing its batches, built at {:>6.1} Mgas/s) | KZG check {:>5.1} ms/blob",
            median(&mut replay),
            median(&mut built),
            median(&mut kzg)
        );
    }
}

/// A follower's database: each sealed batch's frame replayed onto it block by block, as
/// `keel-follower` does after fetching the blobs (checked by their KZG commitments).
struct Replica {
    _dir: tempfile::TempDir,
    storage: Storage,
    spec: ChainSpec,
    replayed: u64,
}

impl Replica {
    fn new(bench: &Bench) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&dir.path().join("keel.redb")).expect("open");
        storage
            .init_genesis(build_genesis(&bench.genesis).write())
            .expect("genesis");
        Self {
            _dir: dir,
            storage,
            spec: ChainSpec::ethereum_like(CHAIN_ID),
            replayed: 0,
        }
    }

    /// Replays every batch `source` sealed since the last call; returns the gas replayed, the
    /// seconds it took, the seconds the blobs' KZG commitments took, and the blobs.
    fn catch_up(&mut self, source: &Storage) -> (u64, f64, f64, usize) {
        let snapshot = source.snapshot().expect("snapshot");
        let (mut gas, mut seconds, mut kzg, mut blobs) = (0, 0.0, 0.0, 0);
        while let Some(batch) = snapshot.batch(self.replayed + 1).expect("read") {
            let frame = snapshot
                .batch_frame(batch.number)
                .expect("read")
                .expect("frame");
            let frame = Frame::parse(&frame).expect("frame");
            let started = Instant::now();
            for blob in keel_da::to_blobs(&frame) {
                keel_da::blob_versioned_hash(&blob).expect("kzg");
                blobs += 1;
            }
            kzg += started.elapsed().as_secs_f64();
            let started = Instant::now();
            let blocks = frame.blocks().expect("blocks");
            let applied = keel_follower::apply_batch(
                &self.storage,
                &self.spec,
                batch.number,
                &blocks,
                Vec::new(),
                0,
            )
            .expect("replay");
            gas += applied.gas_used;
            seconds += started.elapsed().as_secs_f64();
            assert_eq!(
                applied.output.last_block_hash, batch.output.last_block_hash,
                "the replica diverged"
            );
            self.replayed = batch.number;
        }
        (gas, seconds, kzg, blobs)
    }
}

struct Bench {
    _dir: tempfile::TempDir,
    storage: Arc<Storage>,
    pool: Arc<Mempool>,
    proposer: Proposer,
    keys: Vec<PrivateKeySigner>,
    nonces: Vec<u64>,
    token: Address,
    genesis: keel_sequencer::config::GenesisConfig,
}

impl Bench {
    fn new() -> Self {
        let keys: Vec<PrivateKeySigner> = (0..SENDERS)
            .map(|i| PrivateKeySigner::from_bytes(&B256::from(U256::from(i + 1))).expect("key"))
            .collect();
        let mut toml = format!("[chain]\nchain_id = {CHAIN_ID}\n");
        for key in &keys {
            toml += &format!(
                "[genesis.alloc.\"{}\"]\nbalance = \"1000 ether\"\n",
                key.address()
            );
        }
        let config = keel_sequencer::config::GenesisFile::parse(&toml);
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Arc::new(Storage::open(&dir.path().join("keel.redb")).expect("open"));
        storage
            .init_genesis(build_genesis(&config.genesis).write())
            .expect("genesis");
        let spec = ChainSpec::ethereum_like(CHAIN_ID);
        let pool = Arc::new(Mempool::new(PoolConfig::new(
            CHAIN_ID,
            config.genesis.gas_limit,
        )));
        let proposer = Proposer::new(
            spec,
            ProposerConfig {
                block_time: Duration::from_secs(1),
                coinbase: Address::repeat_byte(0xc0),
                gas_limit: config.genesis.gas_limit,
                extra_data: Bytes::new(),
                max_block_txs: None,
                // One block per batch: `max_blocks = 1` seals the open batch before each block.
                batcher: BatcherConfig {
                    max_blocks: 1,
                    // The bench runs the STF itself, and times it.
                    self_check: false,
                    ..BatcherConfig::default()
                },
                max_deposits_per_block: 0,
            },
            storage.clone(),
            pool.clone(),
            Arc::new(BlockRules::new(
                engine(),
                Arc::new(keel_plugin_host::PluginRegistry::new(
                    keel_plugin_host::ActiveSet::default(),
                    1,
                )),
                keel_plugin_host::FeeParams {
                    min_base_fee: 0,
                    max_base_fee: u64::MAX,
                    elasticity_multiplier: 2,
                    max_change_denominator: 8,
                    max_change_bps: 1_250,
                    max_data_price: u64::MAX,
                },
                Eip1559BaseFee::new(spec),
                keel_sequencer::PluginFailures::default(),
            )),
            SequencerMetrics::default(),
        );
        Self {
            _dir: dir,
            storage,
            pool,
            proposer,
            keys,
            nonces: vec![0; SENDERS],
            token: Address::ZERO,
            genesis: config.genesis.clone(),
        }
    }

    fn send(&mut self, sender: usize, to: TxKind, value: U256, input: Bytes, gas_limit: u64) {
        let mut tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: self.nonces[sender],
            gas_limit,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value,
            input,
            ..Default::default()
        };
        let signature = self.keys[sender]
            .sign_transaction_sync(&mut tx)
            .expect("sign");
        let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
        self.pool
            .add_raw(&raw, &self.storage.snapshot().expect("snapshot"))
            .expect("pooled");
        self.nonces[sender] += 1;
    }

    /// Deploys the token from sender 0 and gives every sender some.
    fn setup_tokens(&mut self) {
        let deploy = TestToken::constructorCall {
            name_: "Bench".into(),
            symbol_: "BNC".into(),
            initialSupply: U256::from(10u64).pow(U256::from(24)),
        };
        let code = [TestToken::BYTECODE.as_ref(), &deploy.abi_encode()].concat();
        self.send(0, TxKind::Create, U256::ZERO, code.into(), 2_000_000);
        self.token = self.keys[0].address().create(0);
        self.proposer.build_block().expect("deploy");
        for i in 1..SENDERS {
            let call = TestToken::transferCall {
                to: self.keys[i].address(),
                value: U256::from(10u64).pow(U256::from(20)),
            };
            self.send(
                0,
                TxKind::Call(self.token),
                U256::ZERO,
                call.abi_encode().into(),
                60_000,
            );
        }
        self.proposer.build_block().expect("fund");
        self.seal();
    }

    /// Seals the open batch (an empty block makes the batcher seal the blocks before it) and
    /// returns it.
    fn seal(&self) -> keel_primitives::Batch {
        self.proposer.build_block().expect("sealing block");
        self.storage
            .snapshot()
            .expect("snapshot")
            .last_batch()
            .expect("read")
            .expect("a batch")
    }
}

fn engine() -> Arc<keel_plugin_host::PluginEngine> {
    static ENGINE: OnceLock<Arc<keel_plugin_host::PluginEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| Arc::new(keel_plugin_host::PluginEngine::new().expect("engine")))
        .clone()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

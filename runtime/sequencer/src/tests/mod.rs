//! Genesis against a public client, and whole blocks through pool, revm, trie and redb.

use std::{sync::Arc, time::Duration};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, b256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use keel_evm::Eip1559BaseFee;
use keel_mempool::{Mempool, PoolConfig};
use keel_primitives::{ChainSpec, StateReader};
use keel_storage::Storage;
use keel_trie::{GenesisAccount, genesis_state};
use prometheus_client::metrics::counter::Counter;

use crate::{BlockRules, Proposer, ProposerConfig, SequencerMetrics, build_genesis};

mod deposits;
mod payload;
mod sealer;
mod stf;

const CHAIN_ID: u64 = 65_536_999;
const GWEI: u128 = 1_000_000_000;
/// The first dev key of the `test … junk` mnemonic.
const DEV_KEY: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

/// The genesis state root of this alloc, as anvil 1.7.1 computes it: started with
/// `anvil --hardfork prague --no-create2 --accounts 0 --init genesis.json` (the same alloc),
/// `eth_getProof(…, "0x0")` returns the account proof whose first node hashes to the root.
/// anvil adds the EIP-2935 history contract (nonce 0) to a Prague genesis, so the alloc here
/// lists it explicitly. (Keel's own predeploys are left out: anvil does not have them.)
#[test]
fn genesis_root_matches_anvil() {
    let toml = r#"
[chain]
chain_id = 65536999

[genesis]
gas_limit = 30000000
base_fee = 1000000000

[genesis.alloc."0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"]
balance = "0x21e19e0c9bab2400000"

[genesis.alloc."0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]
balance = "0x21e19e0c9bab2400000"
nonce = 5

[genesis.alloc."0x00000000000000000000000000000000000000aa"]
balance = "0x1"
code = "0x6001600055"
storage = { "0x0000000000000000000000000000000000000000000000000000000000000001" = "0x00000000000000000000000000000000000000000000000000000000000000ff", "0x0000000000000000000000000000000000000000000000000000000000000002" = "0x0000000000000000000000000000000000000000000000000000000000001234" }

[genesis.alloc."0x0000F90827F1C53a10cb7A02335B175320002935"]
balance = "0x0"
code = "0x3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500"
"#;
    let config = crate::config::GenesisFile::parse(toml);
    let genesis = crate::genesis::genesis_of(&config.genesis, &config.genesis.alloc);
    assert_eq!(
        genesis.header.state_root,
        b256!("c8a9044c9223a0e244d8215ccec892cb16bde2accc73db165e25ea993566c483")
    );
    // The chain's genesis adds the L2 bridge predeploy with its compiled runtime code, and so
    // a different root; an alloc entry at its address replaces it.
    let chain = build_genesis(&config.genesis);
    assert_ne!(chain.header.state_root, genesis.header.state_root);
    let code = crate::l2_bridge_code();
    assert!(!code.is_empty());
    assert!(
        chain
            .codes
            .contains(&(alloy_primitives::keccak256(&code), code))
    );
    let mut replaced = config.genesis.clone();
    replaced
        .alloc
        .insert(keel_primitives::L2_BRIDGE_ADDRESS, Default::default());
    assert!(
        build_genesis(&replaced)
            .codes
            .iter()
            .all(|(_, c)| *c != crate::l2_bridge_code())
    );
    let contract = genesis
        .state
        .accounts
        .iter()
        .find(|(a, _)| *a == address!("00000000000000000000000000000000000000aa"));
    let contract = contract.and_then(|(_, a)| *a).unwrap();
    assert_eq!(
        contract.storage_root,
        b256!("469b547c9a1ec3bf72acf5b1e31f6aa78b93a60b7b209095583c35eecc223a1d")
    );
}

struct Chain {
    _dir: tempfile::TempDir,
    storage: Arc<Storage>,
    pool: Arc<Mempool>,
    proposer: Proposer,
    key: PrivateKeySigner,
    nonce: u64,
}

impl Chain {
    fn new() -> Self {
        Self::with_plugins(keel_plugin_host::ActiveSet::default(), Counter::default())
    }

    /// A chain whose blocks are built with `plugins`; `failures` counts fee-plugin fallbacks.
    fn with_plugins(plugins: keel_plugin_host::ActiveSet, failures: Counter) -> Self {
        Self::with(plugins, failures, self_checking_batcher())
    }

    /// A chain whose blocks are built with `plugins` and sealed into batches by `batcher`.
    fn with(
        plugins: keel_plugin_host::ActiveSet,
        failures: Counter,
        batcher: crate::config::BatcherConfig,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let toml = r#"
[chain]
chain_id = 65536999
[genesis.alloc."0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"]
balance = "0x21e19e0c9bab2400000"
"#;
        let config = crate::config::GenesisFile::parse(toml);
        let storage = Arc::new(Storage::open(&dir.path().join("keel.redb")).unwrap());
        let genesis = build_genesis(&config.genesis);
        assert!(storage.init_genesis(genesis.write()).unwrap());
        let pool = Arc::new(Mempool::new(PoolConfig::new(
            CHAIN_ID,
            config.genesis.gas_limit,
        )));
        let proposer = proposer(&storage, &pool, plugins, failures, batcher);
        let key = PrivateKeySigner::from_bytes(&DEV_KEY).unwrap();
        Self {
            _dir: dir,
            storage,
            pool,
            proposer,
            key,
            nonce: 0,
        }
    }

    /// Signs and pools a transaction from the dev key; returns its hash.
    fn send(&mut self, to: TxKind, value: u64, input: &[u8], gas: u64) -> B256 {
        self.send_tx(TxEip1559 {
            to,
            value: U256::from(value),
            input: Bytes::copy_from_slice(input),
            gas_limit: gas,
            ..Default::default()
        })
    }

    fn send_value(&mut self, to: Address, value: U256) -> B256 {
        self.send_tx(TxEip1559 {
            to: TxKind::Call(to),
            value,
            gas_limit: 21_000,
            ..Default::default()
        })
    }

    fn send_tx(&mut self, tx: TxEip1559) -> B256 {
        let raw = self.sign(tx);
        self.pool
            .add_raw(&raw, &self.storage.snapshot().unwrap())
            .unwrap()
    }

    /// `tx` signed with the next nonce, EIP-2718 encoded.
    fn sign(&mut self, mut tx: TxEip1559) -> Vec<u8> {
        tx.chain_id = CHAIN_ID;
        tx.nonce = self.nonce;
        tx.max_fee_per_gas = 10 * GWEI;
        tx.max_priority_fee_per_gas = GWEI;
        let signature = self.key.sign_transaction_sync(&mut tx).unwrap();
        self.nonce += 1;
        TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
    }

    fn receipt_status(&self, hash: B256) -> bool {
        let snapshot = self.storage.snapshot().unwrap();
        let location = snapshot.tx_location(&hash).unwrap().expect("mined");
        let receipts = snapshot.receipts(location.block).unwrap().unwrap();
        receipts[location.index as usize].success()
    }

    /// The head's state root must equal a root built from scratch over the whole flat state.
    fn assert_root_from_scratch(&self) {
        let snapshot = self.storage.snapshot().unwrap();
        let head = snapshot.head().unwrap();
        let accounts: Vec<GenesisAccount> = snapshot
            .dump_state()
            .unwrap()
            .into_iter()
            .map(|dumped| GenesisAccount {
                address: dumped.address,
                nonce: dumped.account.nonce,
                balance: dumped.account.balance,
                code_hash: dumped.account.code_hash,
                storage: dumped.storage,
            })
            .collect();
        let rebuilt = genesis_state(accounts);
        assert_eq!(
            rebuilt.root, head.state_root,
            "incremental root differs from a from-scratch root at block {}",
            head.number
        );
    }
}

/// A proposer over the test chain's storage and pool (a second one is a restarted node).
fn proposer(
    storage: &Arc<Storage>,
    pool: &Arc<Mempool>,
    plugins: keel_plugin_host::ActiveSet,
    failures: Counter,
    batcher: crate::config::BatcherConfig,
) -> Proposer {
    let spec = ChainSpec::ethereum_like(CHAIN_ID);
    Proposer::new(
        spec,
        ProposerConfig {
            block_time: Duration::from_secs(1),
            coinbase: Address::repeat_byte(0xc0),
            gas_limit: 30_000_000,
            extra_data: Bytes::new(),
            max_block_txs: None,
            batcher,
            max_deposits_per_block: 16,
        },
        storage.clone(),
        pool.clone(),
        Arc::new(BlockRules::new(
            engine(),
            Arc::new(keel_plugin_host::PluginRegistry::new(plugins, 1)),
            FEE_PARAMS,
            Eip1559BaseFee::new(spec),
            crate::PluginFailures {
                fee: failures,
                ..Default::default()
            },
        )),
        SequencerMetrics::default(),
    )
}

/// The batcher of the test chains: defaults, with the STF run on every sealed batch.
fn self_checking_batcher() -> crate::config::BatcherConfig {
    crate::config::BatcherConfig {
        self_check: true,
        ..Default::default()
    }
}

/// `SSTORE(calldata[0..32], calldata[32..64])`.
const STORE_RUNTIME: [u8; 8] = [0x60, 0x20, 0x35, 0x60, 0x00, 0x35, 0x55, 0x00];

fn init_code(runtime: &[u8]) -> Vec<u8> {
    let len = runtime.len() as u8;
    let mut code = vec![
        0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    code
}

fn store_call(slot: u64, value: u64) -> Vec<u8> {
    [
        U256::from(slot).to_be_bytes::<32>(),
        U256::from(value).to_be_bytes::<32>(),
    ]
    .concat()
}

#[test]
fn blocks_execute_and_roots_stay_exact() {
    let mut chain = Chain::new();
    let sender = chain.key.address();
    let bob = Address::repeat_byte(0xb0);

    // Block 1: a transfer, a deployment, and a contract that destroys itself while being created.
    let transfer = chain.send(TxKind::Call(bob), 1_000, &[], 21_000);
    let deploy = chain.send(TxKind::Create, 0, &init_code(&STORE_RUNTIME), 200_000);
    // init code: SELFDESTRUCT(CALLER) — created and destroyed in one transaction (EIP-6780).
    let ephemeral = chain.send(TxKind::Create, 5_000, &[0x33, 0xff], 100_000);
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!(summary.transactions, 3);
    assert!(
        chain.receipt_status(transfer)
            && chain.receipt_status(deploy)
            && chain.receipt_status(ephemeral)
    );
    let store = sender.create(1);
    let snapshot = chain.storage.snapshot().unwrap();
    assert_eq!(
        snapshot.account(&bob).unwrap().unwrap().balance,
        U256::from(1_000)
    );
    let code_hash = snapshot.account(&store).unwrap().unwrap().code_hash;
    assert_eq!(code_hash, keccak256(STORE_RUNTIME));
    assert_eq!(
        snapshot.code(&code_hash).unwrap().unwrap().as_ref(),
        &STORE_RUNTIME
    );
    assert!(
        snapshot.account(&sender.create(2)).unwrap().is_none(),
        "created-and-destroyed account must not exist"
    );
    drop(snapshot);
    chain.assert_root_from_scratch();

    // Block 2: storage writes, and a call that reverts (REVERT(0,0) as init code).
    chain.send(TxKind::Call(store), 0, &store_call(1, 0xaa), 100_000);
    chain.send(TxKind::Call(store), 0, &store_call(2, 0xbb), 100_000);
    let reverted = chain.send(TxKind::Create, 0, &[0x60, 0x00, 0x60, 0x00, 0xfd], 100_000);
    chain.proposer.build_block().unwrap();
    assert!(!chain.receipt_status(reverted));
    let snapshot = chain.storage.snapshot().unwrap();
    assert_eq!(
        snapshot.storage(&store, &U256::from(1)).unwrap(),
        U256::from(0xaa)
    );
    assert_eq!(
        snapshot.storage(&store, &U256::from(2)).unwrap(),
        U256::from(0xbb)
    );
    drop(snapshot);
    chain.assert_root_from_scratch();

    // Block 3: delete one slot, then all of them: the storage root must return to empty.
    chain.send(TxKind::Call(store), 0, &store_call(1, 0), 100_000);
    chain.proposer.build_block().unwrap();
    chain.assert_root_from_scratch();
    chain.send(TxKind::Call(store), 0, &store_call(2, 0), 100_000);
    chain.proposer.build_block().unwrap();
    chain.assert_root_from_scratch();
    let snapshot = chain.storage.snapshot().unwrap();
    assert_eq!(
        snapshot.account(&store).unwrap().unwrap().storage_root,
        keel_primitives::EMPTY_ROOT_HASH
    );
    assert_eq!(
        snapshot.account(&sender).unwrap().unwrap().nonce,
        chain.nonce
    );
    assert_eq!(snapshot.head_number().unwrap(), 4);
    // Pool is empty: everything was mined.
    assert!(chain.pool.is_empty());
}

#[test]
fn underpriced_transactions_wait() {
    let mut chain = Chain::new();
    let ok = chain.send(TxKind::Call(Address::repeat_byte(1)), 1, &[], 21_000);
    // A legacy transaction paying a gas price below the base fee stays pooled, never executes,
    // and does not stop the chain.
    let mut tx = TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce: chain.nonce,
        gas_price: 1,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(2)),
        ..Default::default()
    };
    let signature = chain.key.sign_transaction_sync(&mut tx).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    chain
        .pool
        .add_raw(&raw, &chain.storage.snapshot().unwrap())
        .unwrap();
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!(summary.transactions, 1);
    assert!(chain.receipt_status(ok));
    assert_eq!(
        chain.pool.len(),
        1,
        "the underpriced transaction waits for a lower base fee"
    );
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!((summary.number, summary.transactions), (2, 0));
}

#[test]
fn transactions_invalid_at_execution_are_dropped() {
    let mut chain = Chain::new();
    // The pool refuses a transaction its sender cannot pay for on top of its pooled ones; one
    // admitted against a state from before the sender spent (as a pool check racing a block
    // may see) is dropped at execution, and the block is still sealed.
    let stale = chain.storage.snapshot().unwrap();
    let almost_all = 9_999_000_000_000_000_000_000u128;
    let first = chain.send_value(Address::repeat_byte(1), U256::from(almost_all));
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!((summary.transactions, summary.dropped), (1, 0));
    assert!(chain.receipt_status(first));
    let raw = chain.sign(TxEip1559 {
        to: TxKind::Call(Address::repeat_byte(2)),
        value: U256::from(10u128.pow(21)),
        gas_limit: 21_000,
        ..Default::default()
    });
    let second = chain.pool.add_raw(&raw, &stale).unwrap();
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!((summary.transactions, summary.dropped), (0, 1));
    let snapshot = chain.storage.snapshot().unwrap();
    assert!(snapshot.tx_location(&second).unwrap().is_none());
    assert!(
        chain.pool.is_empty(),
        "the invalid transaction left the pool"
    );
    drop(snapshot);
    chain.assert_root_from_scratch();
}

/// One engine for every test chain (each engine starts an epoch thread).
fn engine() -> Arc<keel_plugin_host::PluginEngine> {
    static ENGINE: std::sync::OnceLock<Arc<keel_plugin_host::PluginEngine>> =
        std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| Arc::new(keel_plugin_host::PluginEngine::new().unwrap()))
        .clone()
}

const FEE_PARAMS: keel_plugin_host::FeeParams = keel_plugin_host::FeeParams {
    min_base_fee: 0,
    max_base_fee: u64::MAX,
    elasticity_multiplier: 2,
    max_change_denominator: 8,
    max_change_bps: 1_250,
    max_data_price: u64::MAX,
};

/// Component `name` from `plugins/out` (built by `plugins/build.sh`) alone in `slot`.
fn only_plugin(
    slot: keel_primitives::PluginSlot,
    name: &str,
    settings: &[(&str, &str)],
    limits: keel_plugin_host::PluginLimits,
) -> keel_plugin_host::ActiveSet {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../plugins/out/{name}.wasm"));
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run plugins/build.sh", path.display()));
    let id = keel_plugin_host::PluginId::new(name, "test", &bytes);
    let settings = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let plugin =
        keel_plugin_host::Plugin::compile(&engine(), slot, &path, id, &bytes, limits, settings)
            .unwrap();
    let mut set = keel_plugin_host::ActiveSet::default();
    set.insert(Arc::new(plugin));
    set
}

fn fixed_fee(base_fee: &str) -> keel_plugin_host::ActiveSet {
    only_plugin(
        keel_primitives::PluginSlot::Fee,
        "fee-fixed",
        &[("base-fee", base_fee)],
        keel_plugin_host::PluginLimits::default(),
    )
}

#[test]
fn a_hostile_ordering_plugin_never_stops_the_chain() {
    let limits = keel_plugin_host::PluginLimits {
        fuel: 10_000_000,
        memory_bytes: 8 << 20,
        deadline: Duration::from_secs(10),
    };
    for mode in ["loop", "grow", "trap", "refuse", "duplicate", "reverse"] {
        let hostile = only_plugin(
            keel_primitives::PluginSlot::Ordering,
            "test-hostile-ordering",
            &[("mode", mode)],
            limits,
        );
        let mut chain = Chain::with_plugins(hostile, Counter::default());
        let sent = [
            chain.send_value(Address::repeat_byte(1), U256::from(1)),
            chain.send_value(Address::repeat_byte(2), U256::from(2)),
        ];
        let summary = chain.proposer.build_block().unwrap();
        // Both are from one sender: `reverse` puts nonce 1 first, which the host drops (it
        // would be invalid there), so it waits for the next block.
        let expected = if mode == "reverse" { 1 } else { 2 };
        assert_eq!(summary.transactions, expected, "{mode}");
        chain.proposer.build_block().unwrap();
        let snapshot = chain.storage.snapshot().unwrap();
        for hash in sent {
            assert!(snapshot.tx_location(&hash).unwrap().is_some(), "{mode}");
        }
        let used = snapshot.block_plugins(1).unwrap().unwrap();
        // A failed call falls back to the pool's order; a bad answer is repaired by the host
        // (duplicates and nonce-breaking entries dropped) and is still the plugin's order.
        let expect_fallback = !matches!(mode, "duplicate" | "reverse");
        assert_eq!(used[0].fell_back, expect_fallback, "{mode}: {used:?}");
    }
}

#[test]
fn fee_plugin_sets_the_base_fee_and_a_bad_one_falls_back() {
    let failures = Counter::default();

    // 0.95 gwei is within 12.5 % of the genesis 1 gwei: every block uses it.
    let chain = Chain::with_plugins(fixed_fee("0.95 gwei"), failures.clone());
    for _ in 0..3 {
        chain.proposer.build_block().unwrap();
    }
    let snapshot = chain.storage.snapshot().unwrap();
    let head = snapshot.head().unwrap();
    assert_eq!(head.base_fee_per_gas, Some(950_000_000));
    assert_eq!(failures.get(), 0);
    let used = snapshot.block_plugins(3).unwrap().unwrap();
    assert_eq!(used.len(), 1);
    assert_eq!(
        (used[0].slot, used[0].id.name.as_str(), used[0].fell_back),
        (keel_primitives::PluginSlot::Fee, "fee-fixed", false)
    );
    drop(snapshot);

    // 5 gwei breaks the per-block change bound: the block still comes, with EIP-1559's fee, and
    // records that the plugin fell back.
    let chain = Chain::with_plugins(fixed_fee("5 gwei"), failures.clone());
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!(summary.number, 1);
    let snapshot = chain.storage.snapshot().unwrap();
    assert_eq!(
        snapshot.head().unwrap().base_fee_per_gas,
        Some(875_000_000),
        "empty genesis parent: EIP-1559 lowers 1 gwei by 1/8"
    );
    assert_eq!(failures.get(), 1);
    assert!(snapshot.block_plugins(1).unwrap().unwrap()[0].fell_back);
}

#[test]
fn blocks_without_plugins_record_none() {
    let chain = Chain::new();
    chain.proposer.build_block().unwrap();
    let snapshot = chain.storage.snapshot().unwrap();
    assert_eq!(snapshot.block_plugins(1).unwrap(), Some(vec![]));
}

#[test]
fn a_fee_plugin_minimum_tip_keeps_cheaper_transactions_for_later() {
    // fee-fixed at the genesis base fee, asking for 2 gwei tips; the dev key tips 1 gwei.
    let mut chain = Chain::with_plugins(
        only_plugin(
            keel_primitives::PluginSlot::Fee,
            "fee-fixed",
            &[("base-fee", "1 gwei"), ("min-priority-fee", "2 gwei")],
            keel_plugin_host::PluginLimits::default(),
        ),
        Counter::default(),
    );
    let cheap = chain.send_value(Address::repeat_byte(1), U256::from(1));
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!(summary.transactions, 0);
    assert_eq!(chain.pool.len(), 1, "the transaction waits in the pool");
    let snapshot = chain.storage.snapshot().unwrap();
    assert!(snapshot.tx_location(&cheap).unwrap().is_none());
}

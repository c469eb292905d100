//! The config as a user meets it: the shipped files, defaults, overrides, and the errors.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::{Address, B256, U256, address};

use crate::{Config, ConfigError, DEFAULT_GAS_LIMIT, DEFAULT_RPC_LISTEN, Location};

const FILE: &str = "configs/test.toml";
const ETHER: u128 = 1_000_000_000_000_000_000;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, Path::new(FILE), Vec::<(String, String)>::new())
}

fn parse_env(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_toml_str(
        text,
        Path::new(FILE),
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

/// The error of `result`, asserting its message contains every one of `parts`.
#[track_caller]
fn error_with<T: std::fmt::Debug>(result: Result<T, ConfigError>, parts: &[&str]) -> ConfigError {
    let error = result.expect_err("expected an error");
    let text = error.to_string();
    for part in parts {
        assert!(text.contains(part), "{part:?} not in: {text}");
    }
    error
}

fn configs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs")
}

fn shipped(name: &str) -> (PathBuf, String) {
    let path = configs_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

// ---- shipped configs ------------------------------------------------------------------------

#[test]
fn every_shipped_config_parses_and_validates() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(configs_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let config = Config::from_toml_str(&text, &path, Vec::<(String, String)>::new())
                .unwrap_or_else(|e| panic!("{e}"));
            config.validate(&path).unwrap();
            seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    seen.sort();
    assert_eq!(seen, ["devnet.toml", "example.toml", "follower.toml"]);
}

/// The devnet accounts and their keys: anvil's and hardhat's (`test … junk` mnemonic).
const DEV_ACCOUNTS: [(Address, &str); 10] = [
    (
        address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    ),
    (
        address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    ),
    (
        address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    ),
    (
        address!("90F79bf6EB2c4f870365E785982E1f101E93b906"),
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    ),
    (
        address!("15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
        "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    ),
    (
        address!("9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
        "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    ),
    (
        address!("976EA74026E726554dB657fA54763abd0C3a0aa9"),
        "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    ),
    (
        address!("14dC79964da2C08b23698B3D3cc7Ca32193d9955"),
        "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    ),
    (
        address!("23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"),
        "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    ),
    (
        address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"),
        "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ),
];

#[test]
fn devnet_is_the_documented_devnet() {
    let (path, text) = shipped("devnet.toml");
    let config = Config::from_toml_str(&text, &path, Vec::<(String, String)>::new()).unwrap();
    assert_eq!(config.chain.chain_id, 65_536_999);
    assert_eq!(
        config.rpc.listen,
        "127.0.0.1:1729".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        config.metrics.listen,
        Some("127.0.0.1:9001".parse().unwrap())
    );
    assert_eq!(config.admin.listen, Some("127.0.0.1:1730".parse().unwrap()));
    assert_eq!(config.admin.jwt_secret, None);
    assert_eq!(config.sequencer.block_time, Duration::from_secs(1));
    assert_eq!(config.node.datadir, Path::new("./data/devnet"));
    assert_eq!(config.genesis.alloc.len(), 10);
    for (address, key) in DEV_ACCOUNTS {
        let account = &config.genesis.alloc[&address];
        assert_eq!(account.balance, U256::from(10_000 * ETHER), "{address}");
        assert_eq!(
            (account.nonce, account.code.len(), account.storage.len()),
            (0, 0, 0)
        );
        // The comment block lists each account with its key, on one line.
        let line = text
            .lines()
            .find(|l| l.contains(&address.to_checksum(None)))
            .unwrap();
        assert!(line.starts_with('#') && line.contains(key), "{line}");
    }
}

#[test]
fn the_follower_follows_the_devnet() {
    let load = |name| {
        let (path, text) = shipped(name);
        Config::from_toml_str(&text, &path, Vec::<(String, String)>::new()).unwrap()
    };
    let (devnet, follower) = (load("devnet.toml"), load("follower.toml"));
    // The same chain from the same block 0, with the same rules.
    assert_eq!(follower.chain, devnet.chain);
    assert_eq!(follower.genesis, devnet.genesis);
    assert_eq!(follower.fees, devnet.fees);
    assert_eq!(
        follower.batcher.data_availability,
        devnet.batcher.data_availability
    );
    let role = follower.follower.as_ref().unwrap();
    assert_eq!(
        role.sequencer_url.as_deref(),
        Some(format!("http://{}", devnet.rpc.listen).as_str())
    );
    let l1 = follower.l1.as_ref().unwrap();
    assert_eq!(l1.rpc_url, devnet.l1.as_ref().unwrap().rpc_url);
    assert!(l1.sequencer_key.is_empty(), "a follower holds no key");
    assert_eq!(l1.beacon_block_id, keel_l1::BeaconBlockId::Number);
    assert_ne!(follower.rpc.listen, devnet.rpc.listen);
    assert_ne!(follower.node.datadir, devnet.node.datadir);
}

#[test]
fn a_follower_needs_l1_and_its_blobs_and_a_sequencer_needs_its_key() {
    let parse = |toml: &str| {
        Config::from_toml_str(
            &format!("[chain]\nchain_id = 7\n{toml}"),
            Path::new("t.toml"),
            Vec::<(String, String)>::new(),
        )
    };
    let err = parse("[follower]\n").unwrap_err().to_string();
    assert!(
        err.contains("`l1`") && err.contains("rebuilds the chain from L1"),
        "{err}"
    );
    let err = parse("[follower]\n[l1]\nrpc_url = \"http://x:1\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("l1.beacon_url") && err.contains("required by a follower"),
        "{err}"
    );
    parse("[follower]\n[l1]\nrpc_url = \"http://x:1\"\nbeacon_url = \"http://x:2\"\n").unwrap();
    let err = parse("[l1]\nrpc_url = \"http://x:1\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("l1.sequencer_key") && err.contains("[follower]"),
        "{err}"
    );
    let err = parse("[follower]\nsequencer_url = \"x:1\"\n[l1]\nrpc_url = \"http://x:1\"\nbeacon_url = \"http://x:2\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("follower.sequencer_url"), "{err}");
}

#[test]
fn example_sets_every_key_to_its_default() {
    // example.toml documents the defaults; apart from what it must show (the chain id and an
    // alloc account), parsing it must give the defaults.
    let (path, text) = shipped("example.toml");
    let mut config = Config::from_toml_str(&text, &path, Vec::<(String, String)>::new()).unwrap();
    assert_eq!(config.genesis.alloc.len(), 1);
    config.genesis.alloc.clear();
    assert_eq!(config, Config::new(config.chain.chain_id));
    // And every key is there, with a comment above it.
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_start_matches("# ");
        if let Some((key, _)) = line.split_once(" = ")
            && !key.contains(' ')
            && !key.starts_with('"')
        {
            assert!(
                lines[i - 1].starts_with('#'),
                "no comment above `{key}` (line {})",
                i + 1
            );
        }
    }
    for key in [
        "chain_id",
        "timestamp",
        "gas_limit",
        "base_fee",
        "extra_data",
        "balance",
        "nonce",
        "code",
        "storage",
        "datadir",
        "log",
        "listen",
        "max_body_bytes",
        "max_batch_requests",
        "gas_cap",
        "block_time",
        "coinbase",
        "max_block_txs",
        "min_base_fee",
        "max_base_fee",
        "elasticity_multiplier",
        "base_fee_max_change_denominator",
        "min_priority_fee",
        "max_txs",
        "max_txs_per_sender",
        "price_bump_percent",
        "max_tx_bytes",
    ] {
        assert!(
            text.contains(&format!("\n{key} = ")) || text.contains(&format!("\n# {key} = ")),
            "{key}"
        );
    }
}

// ---- defaults -------------------------------------------------------------------------------

#[test]
fn old_minimal_config_gets_every_default() {
    let config = parse("[chain]\nchain_id = 1\n").unwrap();
    assert_eq!(config, Config::new(1));
    assert_eq!(config.rpc.listen, DEFAULT_RPC_LISTEN);
    assert_eq!(config.rpc.listen.to_string(), "127.0.0.1:1729");
    assert_eq!(config.rpc.max_body_bytes, 10 * 1024 * 1024);
    assert_eq!(config.rpc.max_batch_requests, 1000);
    assert_eq!(config.rpc.gas_cap, 50_000_000);
    assert_eq!(config.node.datadir, Path::new("./data"));
    assert_eq!(config.node.log, "info");
    assert_eq!(config.metrics.listen, None);
    assert_eq!(config.sequencer.block_time, Duration::from_secs(1));
    assert_eq!(config.sequencer.coinbase, Address::ZERO);
    assert_eq!(config.sequencer.max_block_txs, None);
    assert_eq!(config.genesis.gas_limit, DEFAULT_GAS_LIMIT);
    assert_eq!(config.genesis.base_fee, 1_000_000_000);
    assert_eq!(
        (
            config.genesis.timestamp,
            config.genesis.extra_data.len(),
            config.genesis.alloc.len()
        ),
        (0, 0, 0)
    );
    assert_eq!(
        (config.fees.min_base_fee, config.fees.max_base_fee),
        (0, u64::MAX)
    );
    assert_eq!(
        (
            config.fees.elasticity_multiplier,
            config.fees.base_fee_max_change_denominator
        ),
        (2, 8)
    );
    assert_eq!(config.fees.min_priority_fee, 0);
    assert_eq!(
        (config.mempool.max_txs, config.mempool.max_txs_per_sender),
        (10_000, 256)
    );
    assert_eq!(
        (
            config.mempool.price_bump_percent,
            config.mempool.max_tx_bytes
        ),
        (10, 128 * 1024)
    );
    // Empty sections are fine too.
    assert_eq!(
        parse("[chain]\nchain_id = 1\n[rpc]\n[genesis]\n[fees]\n").unwrap(),
        Config::new(1)
    );
}

#[test]
fn chain_id_is_required() {
    let e = error_with(
        parse(""),
        &[FILE, "missing key `chain.chain_id`", "[chain]"],
    );
    assert_eq!(e.key(), Some("chain.chain_id"));
    error_with(parse("[chain]\n"), &[FILE, "missing key `chain.chain_id`"]);
}

// ---- unknown keys ---------------------------------------------------------------------------

#[test]
fn unknown_top_level_key() {
    let e = error_with(
        parse("[chain]\nchain_id = 1\n\n[rcp]\nlisten = \"127.0.0.1:1\"\n"),
        &[
            "configs/test.toml:4:2: unknown key `rcp`; expected one of: chain, genesis, node, pruning, rpc, metrics, status, sequencer, fees, mempool",
        ],
    );
    assert!(matches!(e, ConfigError::UnknownKey { .. }));
    error_with(
        parse("chain_id = 1\n[chain]\nchain_id = 1\n"),
        &["configs/test.toml:1:1: unknown key `chain_id`"],
    );
}

#[test]
fn unknown_nested_key() {
    let e = error_with(
        parse("[chain]\nchain_id = 1\n[rpc]\nlisen = \"127.0.0.1:1\"\n"),
        &[
            "configs/test.toml:4:1: unknown key `rpc.lisen`; expected one of: listen, max_body_bytes, max_batch_requests, gas_cap",
        ],
    );
    assert_eq!(e.key(), Some("rpc.lisen"));
    assert_eq!(e.location().unwrap().line_column, Some((4, 1)));
    // Dotted and inline forms too.
    error_with(
        parse("chain.chain_id = 1\nsequencer.blocktime = \"1s\"\n"),
        &["unknown key `sequencer.blocktime`"],
    );
    error_with(
        parse("chain = { chain_id = 1, id = 2 }\n"),
        &["unknown key `chain.id`; expected one of: chain_id"],
    );
}

#[test]
fn unknown_key_in_an_alloc_account() {
    error_with(
        parse(
            "[chain]\nchain_id = 1\n[genesis.alloc.\"0x00000000000000000000000000000000000000aa\"]\nbalanse = 1\n",
        ),
        &[
            "configs/test.toml:4:1: unknown key `genesis.alloc.0x00000000000000000000000000000000000000aa.balanse`",
            "expected one of: balance, nonce, code, storage",
        ],
    );
}

// ---- bad values -----------------------------------------------------------------------------

#[test]
fn bad_types_name_the_key_and_what_is_allowed() {
    let e = error_with(
        parse("[chain]\nchain_id = \"one\"\n"),
        &[
            "configs/test.toml:2:12: invalid value for `chain.chain_id`: expected a non-negative integer, got string \"one\"",
        ],
    );
    assert_eq!(e.key(), Some("chain.chain_id"));
    error_with(
        parse("[chain]\nchain_id = -1\n"),
        &["`chain.chain_id`: expected a non-negative integer, got integer `-1`"],
    );
    error_with(
        parse("[chain]\nchain_id = 1\n[sequencer]\nblock_time = \"soon\"\n"),
        &[
            "configs/test.toml:4:14: invalid value for `sequencer.block_time`: expected a duration like \"1s\" or \"250ms\", got \"soon\"",
        ],
    );
    error_with(
        parse("[chain]\nchain_id = 1\n[sequencer]\nblock_time = 1\n"),
        &["`sequencer.block_time`: expected a duration like \"1s\" or \"250ms\", got integer `1`"],
    );
    error_with(
        parse("[chain]\nchain_id = 1\n[rpc]\nlisten = \"localhost:1729\"\n"),
        &[
            "`rpc.listen`: expected an IP address and port like \"127.0.0.1:1729\"",
            "host names",
        ],
    );
    error_with(
        parse("rpc = 5\n[chain]\nchain_id = 1\n"),
        &["configs/test.toml:1:7: invalid value for `rpc`: expected a table, got integer `5`"],
    );
    error_with(
        parse("[chain]\nchain_id = 1\n[sequencer]\ncoinbase = \"0x12\"\n"),
        &[
            "`sequencer.coinbase`: expected a 20-byte address",
            "2 hex digits, not 40",
        ],
    );
    error_with(
        parse("[chain]\nchain_id = 1\n[genesis]\nextra_data = \"0x123\"\n"),
        &["`genesis.extra_data`: expected 0x-prefixed hex bytes"],
    );
    error_with(
        parse("[chain]\nchain_id = 1\n[fees]\nmax_base_fee = \"20 ether\"\n"),
        &[
            "`fees.max_base_fee`: expected an amount of wei",
            "more than 18446744073709551615 wei",
        ],
    );
    error_with(
        parse("[chain]\nchain_id = 1\n[mempool]\nmax_txs = 1.5\n"),
        &["`mempool.max_txs`: expected a non-negative integer"],
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = error_with(
        parse("[chain]\nchain_id = 1\n[rpc\nlisten = 1\n"),
        &["configs/test.toml:3:", "TOML syntax error", "[rpc"],
    );
    assert!(matches!(e, ConfigError::Syntax { .. }));
    error_with(
        parse("[chain]\nchain_id = 1\nchain_id = 2\n"),
        &["configs/test.toml:3:", "duplicate key"],
    );
}

// ---- genesis --------------------------------------------------------------------------------

const ACCOUNT: &str =
    "[chain]\nchain_id = 1\n[genesis.alloc.\"0x00000000000000000000000000000000000000aa\"]\n";

fn balance_of(value: &str) -> Result<U256, ConfigError> {
    let config = parse(&format!("{ACCOUNT}balance = {value}\n"))?;
    Ok(config.genesis.alloc[&address!("00000000000000000000000000000000000000aa")].balance)
}

#[test]
fn balance_formats() {
    let ten_thousand_ether = U256::from(10_000 * ETHER);
    for value in [
        "\"10000000000000000000000\"",
        "\"0x21e19e0c9bab2400000\"",
        "\"10000 ether\"",
        "\"10000000000000 gwei\"",
        "\"10_000 ether\"",
    ] {
        assert_eq!(balance_of(value).unwrap(), ten_thousand_ether, "{value}");
    }
    assert_eq!(
        balance_of("1000000000000000000").unwrap(),
        U256::from(ETHER)
    );
    assert_eq!(balance_of("1_000").unwrap(), U256::from(1000));
    assert_eq!(
        balance_of("\"1.5 gwei\"").unwrap(),
        U256::from(1_500_000_000u64)
    );
    assert_eq!(balance_of("\"7 wei\"").unwrap(), U256::from(7));
    error_with(
        balance_of("\"5 bananas\""),
        &[
            "`genesis.alloc.0x00000000000000000000000000000000000000aa.balance`",
            "expected an amount of wei",
            "unknown unit \"bananas\"",
        ],
    );
    error_with(
        balance_of("-5"),
        &["expected an amount of wei", "got -5 (negative)"],
    );
    error_with(
        balance_of("true"),
        &["expected an amount of wei", "got boolean `true`"],
    );
    // Fee amounts take units as well.
    let config = parse("[chain]\nchain_id = 1\n[genesis]\nbase_fee = \"2 gwei\"\n[fees]\nmin_priority_fee = \"0.1 gwei\"\n").unwrap();
    assert_eq!(
        (config.genesis.base_fee, config.fees.min_priority_fee),
        (2_000_000_000, 100_000_000)
    );
}

#[test]
fn accounts_take_code_and_storage() {
    let config = parse(&format!(
        "{ACCOUNT}balance = \"0x10\"\nnonce = 3\ncode = \"0x6001600055\"\n\
         storage = {{ \"0x01\" = \"0xff\", \"0x0000000000000000000000000000000000000000000000000000000000000002\" = 7 }}\n"
    ))
    .unwrap();
    let account = &config.genesis.alloc[&address!("00000000000000000000000000000000000000aa")];
    assert_eq!((account.balance, account.nonce), (U256::from(16), 3));
    assert_eq!(account.code.as_ref(), &[0x60, 0x01, 0x60, 0x00, 0x55]);
    assert_eq!(account.storage.len(), 2);
    assert_eq!(account.storage[&U256::from(1)], U256::from(0xff));
    assert_eq!(account.storage[&U256::from(2)], U256::from(7));

    error_with(
        parse(&format!(
            "{ACCOUNT}storage = {{ \"0x1\" = \"0x1\", \"0x01\" = \"0x2\" }}\n"
        )),
        &[
            "`genesis.alloc.0x00000000000000000000000000000000000000aa.storage`",
            "slot 0x1 is listed twice",
        ],
    );
    error_with(
        parse(&format!("{ACCOUNT}storage = {{ \"1\" = \"0x1\" }}\n")),
        &[
            "`genesis.alloc.0x00000000000000000000000000000000000000aa.storage.1`",
            "expected a 0x-hex word",
        ],
    );
    error_with(
        parse(&format!("{ACCOUNT}code = \"6001\"\n")),
        &[".code`: expected 0x-prefixed hex bytes", "no 0x prefix"],
    );
}

#[test]
fn alloc_addresses_are_checked() {
    error_with(
        parse("[chain]\nchain_id = 1\n[genesis.alloc.\"0xf39F\"]\nbalance = 1\n"),
        &[
            "configs/test.toml:3:16: invalid value for `genesis.alloc.0xf39F`",
            "expected a 20-byte address",
        ],
    );
    // A mistyped checksummed address: one letter's case flipped.
    error_with(
        parse(
            "[chain]\nchain_id = 1\n[genesis.alloc.\"0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"]\nbalance = 1\n",
        ),
        &[
            "`genesis.alloc.0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266`",
            "checksum",
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        ],
    );
    // The same account twice, spelt differently.
    error_with(
        parse(
            "[chain]\nchain_id = 1\n[genesis.alloc.\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"]\nbalance = 1\n\
             [genesis.alloc.\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"]\nbalance = 2\n",
        ),
        &["`genesis.alloc`", "is listed twice"],
    );
}

// ---- environment overrides ------------------------------------------------------------------

const MINIMAL: &str = "[chain]\nchain_id = 1\n[rpc]\nlisten = \"127.0.0.1:1\"\n";

#[test]
fn environment_overrides_the_file_and_the_defaults() {
    let config = parse_env(
        MINIMAL,
        &[
            ("KEEL_RPC__LISTEN", "127.0.0.1:0"),
            ("KEEL_SEQUENCER__BLOCK_TIME", "250ms"),
            ("KEEL_NODE__DATADIR", "/tmp/x"),
            ("KEEL_MEMPOOL__MAX_TXS_PER_SENDER", "7"),
            ("keel_chain__chain_id", "5"),
            ("Keel_Metrics__Listen", "127.0.0.1:9001"),
            (
                "KEEL_SEQUENCER__COINBASE",
                "0x00000000000000000000000000000000000000c0",
            ),
            ("KEEL_GENESIS__EXTRA_DATA", "0x01"),
            ("KEEL_NODE__LOG", "5"),
            // Not config: no double underscore, or no prefix.
            ("KEEL_DATADIR", "/nowhere"),
            ("KEEL_BIN", "/nowhere"),
            ("KEEL_E2E_KEEP_DATADIR", "1"),
            ("PATH", "/bin"),
            ("RPC__LISTEN", "nonsense"),
        ],
    )
    .unwrap();
    assert_eq!(
        config.rpc.listen,
        "127.0.0.1:0".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.sequencer.block_time, Duration::from_millis(250));
    assert_eq!(config.node.datadir, Path::new("/tmp/x"));
    assert_eq!(config.mempool.max_txs_per_sender, 7);
    assert_eq!(config.chain.chain_id, 5);
    assert_eq!(
        config.metrics.listen,
        Some("127.0.0.1:9001".parse().unwrap())
    );
    assert_eq!(config.sequencer.coinbase, Address::with_last_byte(0xc0));
    assert_eq!(config.genesis.extra_data.as_ref(), &[1]);
    assert_eq!(config.node.log, "5");
}

#[test]
fn environment_reaches_alloc_accounts_and_can_unset() {
    let text = "[chain]\nchain_id = 1\n[metrics]\nlisten = \"127.0.0.1:9001\"\n\
                [genesis.alloc.\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"]\nbalance = \"1 ether\"\nnonce = 2\n";
    let config = parse_env(
        text,
        &[
            (
                "KEEL_GENESIS__ALLOC__0XF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266__BALANCE",
                "10000 ether",
            ),
            (
                "KEEL_GENESIS__ALLOC__0X70997970C51812DC3A010C7D01B50E0D17DC79C8__BALANCE",
                "0x10",
            ),
            ("KEEL_METRICS__LISTEN", ""),
            ("KEEL_SEQUENCER__MAX_BLOCK_TXS", "100"),
        ],
    )
    .unwrap();
    let alloc = &config.genesis.alloc;
    assert_eq!(alloc.len(), 2);
    let first = &alloc[&address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")];
    assert_eq!(
        (first.balance, first.nonce),
        (U256::from(10_000 * ETHER), 2),
        "override merged into the file's table"
    );
    assert_eq!(
        alloc[&address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")].balance,
        U256::from(16)
    );
    assert_eq!(config.metrics.listen, None);
    assert_eq!(config.sequencer.max_block_txs, Some(100));
}

#[test]
fn unknown_override_keys_name_the_variable() {
    let e = error_with(
        parse_env(MINIMAL, &[("KEEL_RPC__LISEN", "127.0.0.1:2")]),
        &[
            "configs/test.toml (environment variable KEEL_RPC__LISEN): unknown key `rpc.lisen`; expected one of: listen,",
        ],
    );
    assert_eq!(
        e.location().unwrap().env_var.as_deref(),
        Some("KEEL_RPC__LISEN")
    );
    error_with(
        parse_env(MINIMAL, &[("KEEL_RCP__LISTEN", "127.0.0.1:2")]),
        &[
            "(environment variable KEEL_RCP__LISTEN): unknown key `rcp`; expected one of: chain, genesis,",
        ],
    );
    error_with(
        parse_env(
            MINIMAL,
            &[(
                "KEEL_GENESIS__ALLOC__0X00000000000000000000000000000000000000AA__BALANSE",
                "1",
            )],
        ),
        &[
            "(environment variable KEEL_GENESIS__ALLOC__0X00000000000000000000000000000000000000AA__BALANSE)",
            "balanse",
        ],
    );
}

#[test]
fn bad_override_values_name_the_variable() {
    error_with(
        parse_env(MINIMAL, &[("KEEL_RPC__LISTEN", "not-an-address")]),
        &[
            "(environment variable KEEL_RPC__LISTEN): invalid value for `rpc.listen`: expected an IP address and port",
        ],
    );
    error_with(
        parse_env(MINIMAL, &[("KEEL_SEQUENCER__BLOCK_TIME", "soon")]),
        &[
            "(environment variable KEEL_SEQUENCER__BLOCK_TIME): invalid value for `sequencer.block_time`: expected a duration",
        ],
    );
    // Hex stays a string: the error says what an integer key wants.
    error_with(
        parse_env(MINIMAL, &[("KEEL_CHAIN__CHAIN_ID", "0x10")]),
        &[
            "KEEL_CHAIN__CHAIN_ID",
            "expected a non-negative integer, got string \"0x10\"",
        ],
    );
    // Validation errors too.
    error_with(
        parse_env(MINIMAL, &[("KEEL_CHAIN__CHAIN_ID", "0")]),
        &[
            "configs/test.toml (environment variable KEEL_CHAIN__CHAIN_ID): `chain.chain_id` must be > 0",
        ],
    );
}

#[test]
fn malformed_override_names_are_errors() {
    error_with(
        parse_env(MINIMAL, &[("KEEL_CHAIN__CHAIN_ID__X", "1")]),
        &[
            "(environment variable KEEL_CHAIN__CHAIN_ID__X)",
            "`chain.chain_id` is a value, not a table",
        ],
    );
    error_with(
        parse_env(MINIMAL, &[("KEEL_RPC__", "1")]),
        &["KEEL_RPC__", "empty key"],
    );
    error_with(
        parse_env(MINIMAL, &[("KEEL_RPC___LISTEN", "1")]),
        &["KEEL_RPC___LISTEN", "unknown key `rpc._listen`"],
    );
    error_with(
        parse_env(MINIMAL, &[("KEEL_RPC_LISTEN", "127.0.0.1:2")]),
        &["KEEL_RPC_LISTEN", "single underscore", "KEEL_RPC__LISTEN"],
    );
    // A section the old hand-kept list had forgotten.
    error_with(
        parse_env(MINIMAL, &[("KEEL_L1_RPC_URL", "http://127.0.0.1:8545")]),
        &["KEEL_L1_RPC_URL", "`l1.rpc_url`", "KEEL_L1__RPC_URL"],
    );
    error_with(
        parse_env(
            MINIMAL,
            &[
                ("KEEL_RPC__LISTEN", "127.0.0.1:2"),
                ("keel_rpc__listen", "127.0.0.1:3"),
            ],
        ),
        &["which KEEL_RPC__LISTEN also sets"],
    );
}

// ---- validation -----------------------------------------------------------------------------

#[test]
fn validation_errors_name_file_key_and_rule() {
    let with =
        |section: &str, body: &str| parse(&format!("[chain]\nchain_id = 1\n[{section}]\n{body}\n"));
    let e = error_with(
        parse("[chain]\nchain_id = 0\n"),
        &["configs/test.toml:2:12: `chain.chain_id` must be > 0, got 0"],
    );
    assert!(matches!(e, ConfigError::Invalid { .. }));
    error_with(
        parse("[chain]\nchain_id = 9223372036854775807\n"),
        &["`chain.chain_id` must be at most 9223372036854775771"],
    );
    error_with(
        with("sequencer", "block_time = \"1ms\""),
        &["configs/test.toml:4:14: `sequencer.block_time` must be between 10ms and 1h, got 1ms"],
    );
    error_with(
        with("sequencer", "block_time = \"2h\""),
        &["`sequencer.block_time` must be between 10ms and 1h, got 2h"],
    );
    error_with(
        with("sequencer", "max_block_txs = 0"),
        &["`sequencer.max_block_txs` must be > 0"],
    );
    error_with(
        with("genesis", "gas_limit = 4999"),
        &["`genesis.gas_limit` must be between 5000 and 9223372036854775807"],
    );
    error_with(
        with(
            "genesis",
            &format!("extra_data = \"0x{}\"", "00".repeat(33)),
        ),
        &["`genesis.extra_data` must be at most 32 bytes, got 33"],
    );
    error_with(
        with("fees", "min_base_fee = 10\nmax_base_fee = 5"),
        &["`fees.min_base_fee` must be <= fees.max_base_fee (5), got 10"],
    );
    // The genesis base fee is defaulted here: the error says so.
    error_with(
        with("fees", "max_base_fee = 5"),
        &[
            "configs/test.toml: `genesis.base_fee` must be within [fees.min_base_fee, fees.max_base_fee] = [0, 5], got 1000000000 (the key is not set, so this is its default)",
        ],
    );
    error_with(
        with("fees", "elasticity_multiplier = 0"),
        &["`fees.elasticity_multiplier` must be >= 1"],
    );
    error_with(
        parse(
            "[chain]\nchain_id = 1\n[genesis]\ngas_limit = 5000\n[fees]\nelasticity_multiplier = 5001\n",
        ),
        &["`fees.elasticity_multiplier` must be <= genesis.gas_limit (5000)"],
    );
    error_with(
        with("fees", "base_fee_max_change_denominator = 0"),
        &["`fees.base_fee_max_change_denominator` must be >= 1"],
    );
    error_with(
        with("mempool", "price_bump_percent = 0"),
        &["`mempool.price_bump_percent` must be >= 1"],
    );
    for key in ["max_txs", "max_txs_per_sender", "max_tx_bytes"] {
        error_with(
            with("mempool", &format!("{key} = 0")),
            &[&format!("`mempool.{key}` must be > 0")],
        );
    }
    for key in ["max_body_bytes", "max_batch_requests"] {
        error_with(
            with("rpc", &format!("{key} = 0")),
            &[&format!("`rpc.{key}` must be > 0")],
        );
    }
    error_with(
        with("rpc", "gas_cap = 20999"),
        &["`rpc.gas_cap` must be at least 21000"],
    );
    error_with(
        with("node", "datadir = \"\""),
        &["`node.datadir` must not be empty"],
    );
    error_with(
        parse(
            "[chain]\nchain_id = 1\n[rpc]\nlisten = \"127.0.0.1:1729\"\n[metrics]\nlisten = \"127.0.0.1:1729\"\n",
        ),
        &["`metrics.listen` must differ from rpc.listen"],
    );
    // Edges that are allowed.
    parse("[chain]\nchain_id = 9223372036854775771\n[sequencer]\nblock_time = \"10ms\"\n[genesis]\ngas_limit = 5000\n").unwrap();
    parse("[chain]\nchain_id = 1\n[sequencer]\nblock_time = \"1h\"\n[fees]\nmin_base_fee = \"1 gwei\"\nmax_base_fee = \"1 gwei\"\n").unwrap();
}

#[test]
fn validate_in_code() {
    let mut config = Config::new(1);
    config.validate(Path::new("x.toml")).unwrap();
    config.sequencer.block_time = Duration::ZERO;
    let e = config.validate(Path::new("x.toml")).unwrap_err();
    assert_eq!(e.key(), Some("sequencer.block_time"));
    assert_eq!(
        e.location(),
        Some(&Location {
            file: "x.toml".into(),
            line_column: None,
            env_var: None
        })
    );
}

// ---- files ----------------------------------------------------------------------------------

#[test]
fn load_reads_a_file_and_names_a_missing_one() {
    let missing = Path::new("/nonexistent/keel/config.toml");
    let e = error_with(
        Config::load(missing),
        &[
            "/nonexistent/keel/config.toml: cannot read the config file",
            "configs/example.toml",
        ],
    );
    assert!(matches!(e, ConfigError::Read { .. }));

    let dir = std::env::temp_dir().join(format!("keel-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("node.toml");
    std::fs::write(&path, "[chain]\nchain_id = 7\n").unwrap();
    let loaded = Config::load(&path);
    error_with(Config::load(&dir), &["cannot read the config file"]);
    std::fs::remove_dir_all(&dir).unwrap();
    // The process environment may carry KEEL_* overrides; only check what they cannot break.
    if std::env::vars().all(|(name, _)| !name.to_ascii_uppercase().starts_with("KEEL_")) {
        assert_eq!(loaded.unwrap(), Config::new(7));
    }
}

#[test]
fn plugin_slots_parse_with_defaults_and_resolve_paths() {
    let config = Config::from_toml_str(
        "[chain]\nchain_id = 1\n[plugins.fee]\npath = \"plugins/fee-fixed.wasm\"\nconfig = { base-fee = \"7\" }\n[plugins.ordering]\npath = \"/abs/o.wasm\"\nfuel = 10\nmemory_mb = 2\ndeadline = \"50ms\"\n",
        std::path::Path::new("/etc/keel/node.toml"),
        Vec::<(String, String)>::new(),
    )
    .unwrap();
    let fee = config.plugins.fee.as_ref().unwrap();
    assert_eq!(
        fee.path,
        std::path::Path::new("/etc/keel/plugins/fee-fixed.wasm")
    );
    assert_eq!(fee.fuel, crate::DEFAULT_PLUGIN_FUEL);
    assert_eq!(fee.config["base-fee"], "7");
    let ordering = config.plugins.ordering.as_ref().unwrap();
    assert_eq!(
        (
            ordering.fuel,
            ordering.memory_mb,
            ordering.deadline.as_millis()
        ),
        (10, 2, 50)
    );
    assert!(config.plugins.bridge.is_none());

    let err = Config::from_toml_str(
        "[chain]\nchain_id = 1\n[plugins.fee]\npath = \"x.wasm\"\nmemory_mb = 0\n",
        std::path::Path::new("node.toml"),
        Vec::<(String, String)>::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("plugins.fee") && err.contains("memory_mb"),
        "{err}"
    );
    let err = Config::from_toml_str(
        "[chain]\nchain_id = 1\n[plugins.fees]\npath = \"x.wasm\"\n",
        std::path::Path::new("node.toml"),
        Vec::<(String, String)>::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("plugins.fees") && err.contains("fee"), "{err}");
}

#[test]
fn admin_secret_is_relative_to_the_config_and_listen_must_not_clash() {
    let config = Config::from_toml_str(
        "[chain]\nchain_id = 1\n[admin]\nlisten = \"127.0.0.1:1730\"\njwt_secret = \"jwt.hex\"\n",
        Path::new("/etc/keel/node.toml"),
        Vec::<(String, String)>::new(),
    )
    .unwrap();
    assert_eq!(
        config.admin.jwt_secret.as_deref(),
        Some(Path::new("/etc/keel/jwt.hex"))
    );
    let error = Config::from_toml_str(
        "[chain]\nchain_id = 1\n[admin]\nlisten = \"127.0.0.1:1729\"\n",
        Path::new("node.toml"),
        Vec::<(String, String)>::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("`admin.listen` must differ from rpc.listen"),
        "{error}"
    );
    // An empty value disables it, from the environment too.
    let config = Config::from_toml_str(
        "[chain]\nchain_id = 1\n[admin]\nlisten = \"127.0.0.1:1730\"\n",
        Path::new("node.toml"),
        vec![("KEEL_ADMIN__LISTEN".to_owned(), String::new())],
    )
    .unwrap();
    assert_eq!(config.admin.listen, None);
}

#[test]
fn attesting_verifier_keys() {
    let text = format!(
        "{MINIMAL}[l1]\nrpc_url = \"http://127.0.0.1:8545\"\nsequencer_key = \"0x{}\"\n\
         attesting_provers = [\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\"]\n",
        "11".repeat(32)
    );
    let e = error_with(parse(&text), &["l1.attesting_program", "--print-program"]);
    assert_eq!(e.key(), Some("l1.attesting_program"));
    error_with(
        parse_env(&text, &[("KEEL_L1__ATTESTING_PROGRAM", "0x1234")]),
        &["l1.attesting_program", "64 hex digits"],
    );
    let program = format!("0x{}", "ab".repeat(32));
    let config = parse_env(
        &text,
        &[
            ("KEEL_L1__ATTESTING_PROGRAM", program.as_str()),
            (
                "KEEL_L1__DEV_PROVERS",
                "0x70997970C51812dc3A010C7d01b50e0d17dc79C8, \
                 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            ),
        ],
    )
    .unwrap();
    let l1 = config.l1.as_ref().unwrap();
    assert_eq!(l1.attesting_program, Some(B256::repeat_byte(0xab)));
    assert_eq!(l1.attesting_provers.len(), 1);
    assert_eq!(l1.dev_provers.len(), 2);
}

#[test]
fn openvm_programs_are_32_byte_ids() {
    let id = format!("0x{}", "cd".repeat(32));
    let text = format!("{MINIMAL}[prover]\nopenvm_programs = [\"{id}\"]\n");
    assert_eq!(
        parse(&text).unwrap().prover.openvm_programs,
        [B256::repeat_byte(0xcd)]
    );
    let config = parse_env(MINIMAL, &[("KEEL_PROVER__OPENVM_PROGRAMS", id.as_str())]).unwrap();
    assert_eq!(config.prover.openvm_programs, [B256::repeat_byte(0xcd)]);
    assert!(parse(MINIMAL).unwrap().prover.openvm_programs.is_empty());
    error_with(
        parse(&format!(
            "{MINIMAL}[prover]\nopenvm_programs = [\"0xcd\"]\n"
        )),
        &["prover.openvm_programs", "64 hex digits"],
    );
}

#[test]
fn other_programs_variables_leave_the_node_alone() {
    // keel-prover's own variables share the `KEEL_PROVER_` prefix with the `[prover]` section,
    // but name no key of it.
    for var in [
        "KEEL_PROVER_DEV_KEY",
        "KEEL_PROVER_ATTESTER_KEY",
        "KEEL_PROVER_COORDINATOR",
        "KEEL_BIN",
        "KEEL_TEST_FAULT",
        "KEEL_RPC_LISTENER",
    ] {
        let config = parse_env(MINIMAL, &[(var, "0x01")])
            .unwrap_or_else(|e| panic!("{var} must not affect the node: {e}"));
        assert_eq!(config, parse(MINIMAL).expect("minimal"), "{var}");
    }
}

#[test]
fn the_schema_lists_every_section_and_its_keys() {
    let schema = crate::env::schema();
    for section in [
        "chain",
        "genesis",
        "node",
        "rpc",
        "metrics",
        "sequencer",
        "fees",
        "mempool",
        "plugins",
        "admin",
        "batcher",
        "prover",
        "l1",
    ] {
        assert!(
            schema.contains_key(section),
            "{section} missing: {schema:?}"
        );
    }
    assert!(schema["l1"].iter().any(|k| k == "rpc_url"), "{schema:?}");
    assert!(
        schema["rpc"].iter().any(|k| k == "max_batch_requests"),
        "{schema:?}"
    );
}

//! Parsing, defaults, overrides and the errors a user sees.

use std::path::{Path, PathBuf};

use alloy_primitives::{U256, address};

use crate::{Config, ConfigError, DEFAULT_GAS_LIMIT, DEFAULT_RPC_LISTEN};

const FILE: &str = "configs/test.toml";

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

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn every_shipped_config_parses() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            Config::from_toml_str(&text, &path, Vec::<(String, String)>::new())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
    }
    assert!(seen >= 2, "expected devnet.toml and example.toml");
}

#[test]
fn devnet_funds_the_ten_dev_accounts() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/devnet.toml");
    let config = Config::from_toml_str(
        &std::fs::read_to_string(&path).unwrap(),
        &path,
        Vec::<(String, String)>::new(),
    )
    .unwrap();
    assert_eq!(config.chain.chain_id, 65_536_999);
    assert_eq!(config.rpc.listen.to_string(), "127.0.0.1:1729");
    assert_eq!(config.genesis.alloc.len(), 10);
    let first = &config.genesis.alloc[&address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")];
    assert_eq!(
        first.balance,
        U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18))
    );
}

#[test]
fn minimal_old_style_file_gets_defaults() {
    let config = parse("[chain]\nchain_id = 1\n").unwrap();
    assert_eq!(config.rpc.listen, DEFAULT_RPC_LISTEN);
    assert_eq!(config.genesis.gas_limit, DEFAULT_GAS_LIMIT);
    assert_eq!(config.sequencer.block_time.as_secs(), 1);
    assert!(config.metrics.listen.is_none());
    assert!(config.genesis.alloc.is_empty());
}

#[test]
fn unknown_keys_name_file_key_and_allowed() {
    let e = err("[chain]\nchain_id = 1\n[rpc]\nlisen = \"127.0.0.1:1\"\n");
    assert!(e.starts_with(FILE), "{e}");
    assert!(
        e.contains("`rpc`") && e.contains("lisen") && e.contains("listen"),
        "{e}"
    );

    let e = err("[chain]\nchain_id = 1\n[bogus]\nx = 1\n");
    assert!(e.contains("bogus") && e.contains("chain"), "{e}");

    let e = err(
        "[chain]\nchain_id = 1\n[genesis.alloc.\"0x00000000000000000000000000000000000000aa\"]\nbalanse = 1\n",
    );
    assert!(
        e.contains("genesis.alloc.0x00000000000000000000000000000000000000aa")
            && e.contains("balanse")
            && e.contains("balance"),
        "{e}"
    );
}

#[test]
fn bad_values_name_the_key() {
    let e = err("[chain]\nchain_id = 1\n[sequencer]\nblock_time = \"soon\"\n");
    assert!(e.contains("sequencer.block_time"), "{e}");
    let e = err("[chain]\nchain_id = 1\n[rpc]\nlisten = \"nowhere\"\n");
    assert!(e.contains("rpc.listen"), "{e}");
    let e = err("[chain]\nchain_id = \"one\"\n");
    assert!(e.contains("chain.chain_id"), "{e}");
    let e = err(
        "[chain]\nchain_id = 1\n[genesis.alloc.\"0x00000000000000000000000000000000000000aa\"]\nbalance = \"5 bananas\"\n",
    );
    assert!(e.contains("balance") && e.contains("unknown unit"), "{e}");
    let e = err("[chain\nchain_id = 1\n");
    assert!(e.contains("invalid TOML") && e.contains("line 1"), "{e}");
    let e = err("[rpc]\nlisten = \"127.0.0.1:1\"\n");
    assert!(e.contains("chain"), "missing required section: {e}");
}

#[test]
fn validation_errors_name_the_key() {
    assert!(err("[chain]\nchain_id = 0\n").contains("chain.chain_id"));
    assert!(
        err("[chain]\nchain_id = 1\n[sequencer]\nblock_time = \"1ms\"\n")
            .contains("sequencer.block_time")
    );
    assert!(
        err("[chain]\nchain_id = 1\n[fees]\nmin_base_fee = 10\nmax_base_fee = 5\n")
            .contains("fees.min_base_fee")
    );
    assert!(err("[chain]\nchain_id = 1\n[fees]\nmax_base_fee = 5\n").contains("genesis.base_fee"));
    assert!(err("[chain]\nchain_id = 1\n[mempool]\nmax_txs = 0\n").contains("mempool.max_txs"));
    assert!(
        err("[chain]\nchain_id = 1\n[genesis]\ngas_limit = 100\n").contains("genesis.gas_limit")
    );
}

#[test]
fn environment_overrides_the_file() {
    let text = "[chain]\nchain_id = 1\n[rpc]\nlisten = \"127.0.0.1:1\"\n";
    let config = parse_env(
        text,
        &[
            ("KEEL_RPC__LISTEN", "127.0.0.1:2"),
            ("KEEL_SEQUENCER__BLOCK_TIME", "250ms"),
            ("KEEL_MEMPOOL__MAX_TXS_PER_SENDER", "7"),
            ("keel_chain__chain_id", "5"),
            // Not config: no double underscore.
            ("KEEL_DATADIR", "/nowhere"),
            ("PATH", "/bin"),
        ],
    )
    .unwrap();
    assert_eq!(config.rpc.listen.port(), 2);
    assert_eq!(config.sequencer.block_time.as_millis(), 250);
    assert_eq!(config.mempool.max_txs_per_sender, 7);
    assert_eq!(config.chain.chain_id, 5);
}

#[test]
fn bad_overrides_name_the_variable() {
    let text = "[chain]\nchain_id = 1\n";
    let e = parse_env(text, &[("KEEL_RPC__LISEN", "x")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("KEEL_RPC__LISEN") && e.contains("lisen"), "{e}");
    let e = parse_env(text, &[("KEEL_RPC__LISTEN", "not-an-address")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("KEEL_RPC__LISTEN") && e.contains("rpc.listen"),
        "{e}"
    );
    let e = parse_env(text, &[("KEEL_CHAIN__CHAIN_ID__X", "1")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("KEEL_CHAIN__CHAIN_ID__X"), "{e}");
}

#[test]
fn genesis_accounts_accept_code_and_storage() {
    let config = parse(
        "[chain]\nchain_id = 1\n[genesis.alloc.\"0x00000000000000000000000000000000000000aa\"]\nbalance = \"0x10\"\nnonce = 3\ncode = \"0x6001\"\nstorage = { \"0x01\" = \"0xff\" }\n",
    )
    .unwrap();
    let account = &config.genesis.alloc[&address!("00000000000000000000000000000000000000aa")];
    assert_eq!(account.balance, U256::from(16));
    assert_eq!(account.nonce, 3);
    assert_eq!(account.code.as_ref(), &[0x60, 0x01]);
    assert_eq!(account.storage[&U256::from(1)], U256::from(0xff));
}

//! Known roots: the empty trie, and public vectors from the `ethereum/tests` repository
//! (`TrieTests/trietest.json`, `TrieTests/hex_encoded_securetrie_test.json`).

use alloy_primitives::{Address, B256, Bytes, U256, b256, hex, keccak256};

use super::support::{build, commit_into, reference_root};
use crate::{
    EMPTY_ROOT_HASH, GenesisAccount, KECCAK_EMPTY, MemoryNodeStore, Trie, TrieAccount,
    account_at_root, genesis_state, get_at_root,
};

/// Test vector notation: `0x…` is hex, anything else the string's bytes; `None` removes.
fn bytes(s: &str) -> Vec<u8> {
    match s.strip_prefix("0x") {
        Some(h) => hex::decode(h).expect("hex"),
        None => s.as_bytes().to_vec(),
    }
}

/// Applies the vector's operations in order, committing and reopening halfway, and returns
/// the final root; also checks that the final contents read back.
fn run(ops: &[(&str, Option<&str>)]) -> B256 {
    let mut store = MemoryNodeStore::new();
    let mut trie = Trie::new(EMPTY_ROOT_HASH);
    let mut model = std::collections::BTreeMap::new();
    for (i, (key, value)) in ops.iter().enumerate() {
        let key = bytes(key);
        match value {
            Some(value) => {
                let value = bytes(value);
                trie.insert(&store, &key, value.clone().into())
                    .expect("insert");
                model.insert(key, value);
            }
            None => {
                trie.remove(&store, &key).expect("remove");
                model.remove(&key);
            }
        }
        if i == ops.len() / 2 {
            let (root, _) = commit_into(&mut trie, &mut store);
            trie = Trie::new(root);
        }
    }
    let (root, _) = commit_into(&mut trie, &mut store);
    for (key, value) in &model {
        assert_eq!(
            get_at_root(&store, root, key)
                .expect("get")
                .as_ref()
                .map(|v| &v[..]),
            Some(&value[..])
        );
    }
    root
}

#[test]
fn empty_root() {
    assert_eq!(
        EMPTY_ROOT_HASH,
        b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    );
    assert_eq!(EMPTY_ROOT_HASH, keccak256([0x80]));
    assert_eq!(
        Trie::new(EMPTY_ROOT_HASH).commit(),
        (EMPTY_ROOT_HASH, Vec::new())
    );
    assert_eq!(genesis_state([]).root, EMPTY_ROOT_HASH);
    assert_eq!(run(&[]), EMPTY_ROOT_HASH);
}

#[test]
fn trietest_empty_values() {
    let root = run(&[
        ("do", Some("verb")),
        ("ether", Some("wookiedoo")),
        ("horse", Some("stallion")),
        ("shaman", Some("horse")),
        ("doge", Some("coin")),
        ("ether", None),
        ("dog", Some("puppy")),
        ("shaman", None),
    ]);
    assert_eq!(
        root,
        b256!("5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84")
    );
}

#[test]
fn trietest_branching() {
    let addresses = [
        "0x04110d816c380812a427968ece99b1c963dfbce6",
        "0x095e7baea6a6c7c4c2dfeb977efac326af552d87",
        "0x0a517d755cebbf66312b30fff713666a9cb917e0",
        "0x24dd378f51adc67a50e339e8031fe9bd4aafab36",
        "0x293f982d000532a7861ab122bdc4bbfd26bf9030",
        "0x2cf5732f017b0cf1b1f13a1478e10239716bf6b5",
        "0x31c640b92c21a1f1465c91070b4b3b4d6854195f",
        "0x37f998764813b136ddf5a754f34063fd03065e36",
        "0x37fa399a749c121f8a15ce77e3d9f9bec8020d7a",
        "0x4f36659fa632310b6ec438dea4085b522a2dd077",
        "0x62c01474f089b07dae603491675dc5b5748f7049",
        "0x729af7294be595a0efd7d891c9e51f89c07950c7",
        "0x83e3e5a16d3b696a0314b30b2534804dd5e11197",
        "0x8703df2417e0d7c59d063caa9583cb10a4d20532",
        "0x8dffcd74e5b5923512916c6a64b502689cfa65e1",
        "0x95a4d7cccb5204733874fa87285a176fe1e9e240",
        "0x99b2fcba8120bedd048fe79f5262a6690ed38c39",
        "0xa4202b8b8afd5354e3e40a219bdc17f6001bf2cf",
        "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b",
        "0xa9647f4a0a14042d91dc33c0328030a7157c93ae",
        "0xaa6cffe5185732689c18f37a7f86170cb7304c2a",
        "0xaae4a2e3c51c04606dcb3723456e58f3ed214f45",
        "0xc37a43e940dfb5baf581a0b82b351d48305fc885",
        "0xd2571607e241ecf590ed94b12d87c94babe36db6",
        "0xf735071cbee190d76b704ce68384fc21e389fbe7",
    ];
    let ops: Vec<(&str, Option<&str>)> = addresses
        .iter()
        .map(|a| (*a, Some("something")))
        .chain(addresses.iter().map(|a| (*a, None)))
        .collect();
    assert_eq!(run(&ops), EMPTY_ROOT_HASH);
}

#[test]
fn trietest_jeff() {
    let root = run(&[
        (
            "0x0000000000000000000000000000000000000000000000000000000000000045",
            Some("0x22b224a1420a802ab51d326e29fa98e34c4f24ea"),
        ),
        (
            "0x0000000000000000000000000000000000000000000000000000000000000046",
            Some("0x67706c2076330000000000000000000000000000000000000000000000000000"),
        ),
        (
            "0x0000000000000000000000000000000000000000000000000000001234567890",
            Some("0x697c7b8c961b56f675d570498424ac8de1a918f6"),
        ),
        (
            "0x000000000000000000000000697c7b8c961b56f675d570498424ac8de1a918f6",
            Some("0x1234567890"),
        ),
        (
            "0x0000000000000000000000007ef9e639e2733cb34e4dfc576d4b23f72db776b2",
            Some("0x4655474156000000000000000000000000000000000000000000000000000000"),
        ),
        (
            "0x000000000000000000000000ec4f34c97e43fbb2816cfd95e388353c7181dab1",
            Some("0x4e616d6552656700000000000000000000000000000000000000000000000000"),
        ),
        (
            "0x4655474156000000000000000000000000000000000000000000000000000000",
            Some("0x7ef9e639e2733cb34e4dfc576d4b23f72db776b2"),
        ),
        (
            "0x4e616d6552656700000000000000000000000000000000000000000000000000",
            Some("0xec4f34c97e43fbb2816cfd95e388353c7181dab1"),
        ),
        (
            "0x0000000000000000000000000000000000000000000000000000001234567890",
            None,
        ),
        (
            "0x000000000000000000000000697c7b8c961b56f675d570498424ac8de1a918f6",
            Some("0x6f6f6f6820736f2067726561742c207265616c6c6c793f000000000000000000"),
        ),
        (
            "0x6f6f6f6820736f2067726561742c207265616c6c6c793f000000000000000000",
            Some("0x697c7b8c961b56f675d570498424ac8de1a918f6"),
        ),
    ]);
    assert_eq!(
        root,
        b256!("9f6221ebb8efe7cff60a716ecb886e67dd042014be444669f0159d8e68b42100")
    );
}

#[test]
fn trietest_insert_middle_leaf() {
    let root = run(&[
        (
            "key1aa",
            Some("0123456789012345678901234567890123456789xxx"),
        ),
        (
            "key1",
            Some("0123456789012345678901234567890123456789Very_Long"),
        ),
        ("key2bb", Some("aval3")),
        ("key2", Some("short")),
        ("key3cc", Some("aval3")),
        ("key3", Some("1234567890123456789012345678901")),
    ]);
    assert_eq!(
        root,
        b256!("cb65032e2f76c48b82b5c24b3db8f670ce73982869d38cd39a624f23d62a9e89")
    );
}

/// Keys that are prefixes of others put values in branches; removing them must collapse.
#[test]
fn branch_values_collapse() {
    let full = run(&[
        ("do", Some("verb")),
        ("dog", Some("puppy")),
        ("doge", Some("coin")),
    ]);
    let removed = run(&[
        ("do", Some("verb")),
        ("dog", Some("puppy")),
        ("doge", Some("coin")),
        ("horse", Some("stallion")),
        ("dog", None),
        ("horse", None),
        ("do", None),
    ]);
    assert_ne!(full, removed);
    assert_eq!(removed, run(&[("doge", Some("coin"))]));
    assert_eq!(removed, reference_root([(b"doge", b"coin")]));
}

/// A root shorter than 32 bytes is still referred to by hash, and stored.
#[test]
fn short_root_is_hashed_and_stored() {
    let (root, store) = build([(b"do", Bytes::from_static(b"verb"))]);
    // The leaf ["0x20646f", "verb"].
    let rlp = hex!("c98320646f8476657262");
    assert_eq!(root, keccak256(rlp));
    assert_eq!(store.get(&root).map(|b| &b[..]), Some(&rlp[..]));
    assert_eq!(
        Trie::new(root).get(&store, b"do").expect("get"),
        Some(Bytes::from_static(b"verb"))
    );
}

/// A secure trie of five accounts (`hex_encoded_securetrie_test.json`, test1).
#[test]
fn securetrie_accounts() {
    let accounts = [
        (
            "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b",
            "0xf848018405f446a7a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421a0c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        ),
        (
            "0x095e7baea6a6c7c4c2dfeb977efac326af552d87",
            "0xf8440101a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421a004bccc5d94f4d1f99aab44369a910179931772f2a5c001c3229f57831c102769",
        ),
        (
            "0xd2571607e241ecf590ed94b12d87c94babe36db6",
            "0xf8440180a0ba4b47865c55a341a4a78759bb913cd15c3ee8eaf30a62fa8d1c8863113d84e8a0c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        ),
        (
            "0x62c01474f089b07dae603491675dc5b5748f7049",
            "0xf8448080a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421a0c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        ),
        (
            "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
            "0xf8478083019a59a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421a0c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        ),
    ];
    let expected = b256!("730a444e08ab4b8dee147c9b232fc52d34a223d600031c1e9d25bfc985cbd797");
    let (root, store) = build(
        accounts
            .iter()
            .map(|(address, account)| (keccak256(bytes(address)), bytes(account).into())),
    );
    assert_eq!(root, expected);

    let first: Address = accounts[0].0.parse().expect("address");
    let account = account_at_root(&store, root, &first)
        .expect("read")
        .expect("exists");
    assert_eq!(
        account,
        TrieAccount::new(1, U256::from(0x05f446a7), EMPTY_ROOT_HASH, KECCAK_EMPTY)
    );

    // Four of the accounts have no storage, so genesis builds the same leaves for them.
    let genesis = genesis_state(
        accounts
            .iter()
            .filter(|(a, _)| !a.starts_with("0xd257"))
            .map(|(address, account)| {
                let account: TrieAccount =
                    alloy_rlp::decode_exact(bytes(account)).expect("account");
                GenesisAccount {
                    address: address.parse().expect("address"),
                    nonce: account.nonce,
                    balance: account.balance,
                    code_hash: account.code_hash,
                    storage: Vec::new(),
                }
            }),
    );
    let without_storage = accounts
        .iter()
        .filter(|(a, _)| !a.starts_with("0xd257"))
        .map(|(address, account)| (keccak256(bytes(address)), bytes(account)));
    assert_eq!(genesis.root, reference_root(without_storage));
}

/// A single-account alloc against `HashBuilder`.
#[test]
fn single_account_genesis() {
    let address = Address::repeat_byte(0xaa);
    let slot_value = (U256::from(1), U256::from(0xdead_beef_u64));
    let genesis = genesis_state([GenesisAccount {
        storage: vec![slot_value],
        ..GenesisAccount::with_balance(address, U256::from(10).pow(U256::from(21)))
    }]);
    let storage_root = reference_root([(
        keccak256(slot_value.0.to_be_bytes::<32>()),
        alloy_rlp::encode(slot_value.1),
    )]);
    let account = || {
        TrieAccount::new(
            0,
            U256::from(10).pow(U256::from(21)),
            storage_root,
            KECCAK_EMPTY,
        )
    };
    assert_eq!(
        genesis.root,
        reference_root([(keccak256(address), alloy_rlp::encode(account()))])
    );
    assert_eq!(genesis.accounts, vec![(address, Some(account()))]);
}

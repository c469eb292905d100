//! Pool behaviour: rejections (with geth's wording), nonce queues, ordering, replacement.

use std::{collections::HashMap, convert::Infallible};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use keel_primitives::{EMPTY_ROOT_HASH, KECCAK_EMPTY, StateReader, TrieAccount};

use crate::{Mempool, PoolConfig, PoolError};

const CHAIN_ID: u64 = 65_536_999;
const GWEI: u128 = 1_000_000_000;
const BASE_FEE: u64 = 1_000_000_000;

#[derive(Default)]
struct MemState(HashMap<Address, TrieAccount>);

impl MemState {
    fn fund(mut self, address: Address, nonce: u64, balance: U256) -> Self {
        self.0.insert(
            address,
            TrieAccount {
                nonce,
                balance,
                storage_root: EMPTY_ROOT_HASH,
                code_hash: KECCAK_EMPTY,
            },
        );
        self
    }
}

impl StateReader for MemState {
    type Error = Infallible;
    fn account(&self, address: &Address) -> Result<Option<TrieAccount>, Infallible> {
        Ok(self.0.get(address).copied())
    }
    fn storage(&self, _: &Address, _: &U256) -> Result<U256, Infallible> {
        Ok(U256::ZERO)
    }
    fn code(&self, _: &B256) -> Result<Option<Bytes>, Infallible> {
        Ok(None)
    }
    fn block_hash(&self, _: u64) -> Result<Option<B256>, Infallible> {
        Ok(None)
    }
}

fn signer(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(seed)).unwrap()
}

fn eip1559(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> Vec<u8> {
    let mut tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(0xee)),
        value: U256::from(1),
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

fn legacy(signer: &PrivateKeySigner, chain_id: Option<u64>, nonce: u64) -> Vec<u8> {
    let mut tx = TxLegacy {
        chain_id,
        nonce,
        gas_price: 2 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0xee)),
        value: U256::from(1),
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

fn pool() -> Mempool {
    Mempool::new(PoolConfig::new(CHAIN_ID, 30_000_000))
}

fn rich(signers: &[&PrivateKeySigner]) -> MemState {
    signers.iter().fold(MemState::default(), |s, k| {
        s.fund(k.address(), 0, U256::from(10u128.pow(21)))
    })
}

#[test]
fn rejects_with_geth_wording() {
    let alice = signer(1);
    let pool = pool();
    let state = MemState::default().fund(alice.address(), 5, U256::from(10u128.pow(21)));

    let err = pool
        .add_raw(&eip1559(&alice, 4, 2 * GWEI, GWEI), &state)
        .unwrap_err();
    assert!(err.to_string().starts_with("nonce too low"), "{err}");

    let err = pool
        .add_raw(&legacy(&alice, Some(1), 5), &state)
        .unwrap_err();
    assert!(matches!(
        err,
        PoolError::InvalidChainId {
            have: 1,
            want: CHAIN_ID
        }
    ));
    assert!(err.to_string().starts_with("invalid chain id"), "{err}");

    let err = pool.add_raw(&legacy(&alice, None, 5), &state).unwrap_err();
    assert_eq!(err, PoolError::NotReplayProtected);

    let poor = MemState::default().fund(alice.address(), 5, U256::from(1000));
    let err = pool
        .add_raw(&eip1559(&alice, 5, 2 * GWEI, GWEI), &poor)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("insufficient funds for gas * price + value"),
        "{err}"
    );

    let err = pool
        .add_raw(&eip1559(&alice, 5, GWEI, 2 * GWEI), &state)
        .unwrap_err();
    assert_eq!(err, PoolError::TipAboveFeeCap);

    let err = pool.add_raw(&[0x02, 0xc0, 0x01], &state).unwrap_err();
    assert!(matches!(err, PoolError::Decode(_)), "{err}");

    let raw = eip1559(&alice, 5, 2 * GWEI, GWEI);
    pool.add_raw(&raw, &state).unwrap();
    assert_eq!(
        pool.add_raw(&raw, &state).unwrap_err(),
        PoolError::AlreadyKnown
    );
    assert_eq!(pool.len(), 1);
}

#[test]
fn intrinsic_gas_and_block_limit() {
    let alice = signer(1);
    let state = rich(&[&alice]);
    let pool = Mempool::new(PoolConfig::new(CHAIN_ID, 25_000));
    let mut tx = TxEip1559 {
        chain_id: CHAIN_ID,
        gas_limit: 20_000,
        max_fee_per_gas: GWEI,
        to: TxKind::Call(Address::ZERO),
        ..Default::default()
    };
    let sig = alice.sign_transaction_sync(&mut tx).unwrap();
    let raw = TxEnvelope::from(tx.clone().into_signed(sig)).encoded_2718();
    let err = pool.add_raw(&raw, &state).unwrap_err();
    assert_eq!(
        err,
        PoolError::IntrinsicGasTooLow {
            gas: 20_000,
            needed: 21_000
        }
    );

    tx.gas_limit = 30_000;
    let sig = alice.sign_transaction_sync(&mut tx).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    assert_eq!(
        pool.add_raw(&raw, &state).unwrap_err(),
        PoolError::GasLimitExceeded
    );
}

#[test]
fn replacement_needs_bump() {
    let alice = signer(1);
    let state = rich(&[&alice]);
    let pool = pool();
    pool.add_raw(&eip1559(&alice, 0, 10 * GWEI, 2 * GWEI), &state)
        .unwrap();
    // 5 % more is not enough.
    let err = pool
        .add_raw(
            &eip1559(&alice, 0, 10 * GWEI + GWEI / 2, 2 * GWEI + GWEI / 10),
            &state,
        )
        .unwrap_err();
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    // 10 % on both caps is.
    let hash = pool
        .add_raw(&eip1559(&alice, 0, 11 * GWEI, 2 * GWEI + GWEI / 5), &state)
        .unwrap();
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.best(BASE_FEE, &state)[0].hash, hash);
}

#[test]
fn future_nonces_wait_for_the_gap() {
    let alice = signer(1);
    let state = rich(&[&alice]);
    let pool = pool();
    pool.add_raw(&eip1559(&alice, 1, 2 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 2, 2 * GWEI, GWEI), &state)
        .unwrap();
    assert!(
        pool.best(BASE_FEE, &state).is_empty(),
        "nonce 0 missing: nothing executable"
    );
    assert_eq!(pool.pending_nonce(&alice.address()), None);
    pool.add_raw(&eip1559(&alice, 0, 2 * GWEI, GWEI), &state)
        .unwrap();
    let nonces: Vec<u64> = pool
        .best(BASE_FEE, &state)
        .iter()
        .map(|tx| tx.nonce())
        .collect();
    assert_eq!(nonces, vec![0, 1, 2]);
    assert_eq!(pool.pending_nonce(&alice.address()), Some(3));
}

#[test]
fn best_orders_by_tip_keeping_nonce_order() {
    let (alice, bob) = (signer(1), signer(2));
    let state = rich(&[&alice, &bob]);
    let pool = pool();
    // Alice: low tip then high tip; Bob: medium tip.
    pool.add_raw(&eip1559(&alice, 0, 100 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 1, 100 * GWEI, 9 * GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&bob, 0, 100 * GWEI, 5 * GWEI), &state)
        .unwrap();
    let order: Vec<(Address, u64)> = pool
        .best(BASE_FEE, &state)
        .iter()
        .map(|tx| (tx.sender, tx.nonce()))
        .collect();
    assert_eq!(
        order,
        vec![
            (bob.address(), 0),
            (alice.address(), 0),
            (alice.address(), 1)
        ]
    );
    // A fee cap below the base fee is not executable.
    assert!(pool.best(200 * BASE_FEE, &state).is_empty());
}

#[test]
fn on_block_drops_mined_and_stale() {
    let alice = signer(1);
    let state = rich(&[&alice]);
    let pool = pool();
    let h0 = pool
        .add_raw(&eip1559(&alice, 0, 2 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 1, 2 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 2, 2 * GWEI, GWEI), &state)
        .unwrap();
    pool.on_block(&[h0], [(alice.address(), 2)]);
    let nonces: Vec<u64> = pool
        .best(BASE_FEE, &state)
        .iter()
        .map(|tx| tx.nonce())
        .collect();
    assert_eq!(nonces, vec![2]);
    assert_eq!(pool.len(), 1);
}

#[test]
fn full_pool_evicts_cheapest_or_refuses() {
    let signers: Vec<_> = (1..=3).map(signer).collect();
    let state = rich(&signers.iter().collect::<Vec<_>>());
    let mut config = PoolConfig::new(CHAIN_ID, 30_000_000);
    config.limits.max_txs = 2;
    let pool = Mempool::new(config);
    pool.add_raw(&eip1559(&signers[0], 0, 100 * GWEI, 2 * GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&signers[1], 0, 100 * GWEI, 3 * GWEI), &state)
        .unwrap();
    let err = pool
        .add_raw(&eip1559(&signers[2], 0, 100 * GWEI, GWEI), &state)
        .unwrap_err();
    assert_eq!(err, PoolError::PoolFull);
    pool.add_raw(&eip1559(&signers[2], 0, 100 * GWEI, 5 * GWEI), &state)
        .unwrap();
    assert_eq!(pool.len(), 2);
    let senders: Vec<Address> = pool
        .best(BASE_FEE, &state)
        .iter()
        .map(|tx| tx.sender)
        .collect();
    assert_eq!(senders, vec![signers[2].address(), signers[1].address()]);
}

#[test]
fn remove_invalid_drops_the_sender_tail() {
    let alice = signer(1);
    let state = rich(&[&alice]);
    let pool = pool();
    pool.add_raw(&eip1559(&alice, 0, 2 * GWEI, GWEI), &state)
        .unwrap();
    let h1 = pool
        .add_raw(&eip1559(&alice, 1, 2 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 2, 2 * GWEI, GWEI), &state)
        .unwrap();
    pool.remove_invalid(&h1);
    assert_eq!(pool.len(), 1);
}

#[test]
fn a_stale_snapshot_never_moves_a_sender_backwards() {
    let alice = signer(1);
    let pool = pool();
    let before = rich(&[&alice]);
    let h0 = pool
        .add_raw(&eip1559(&alice, 0, 2 * GWEI, GWEI), &before)
        .unwrap();
    // A block mines nonce 0; the RPC then validates nonce 1 against a snapshot from before it.
    pool.on_block(&[h0], [(alice.address(), 1)]);
    pool.add_raw(&eip1559(&alice, 1, 2 * GWEI, GWEI), &before)
        .unwrap();
    let after = MemState::default().fund(alice.address(), 1, U256::from(10u128.pow(21)));
    let nonces: Vec<u64> = pool
        .best(BASE_FEE, &after)
        .iter()
        .map(|tx| tx.nonce())
        .collect();
    assert_eq!(nonces, vec![1], "nonce 1 must be executable");
    // The already-mined nonce cannot come back through the stale snapshot either.
    let err = pool
        .add_raw(&eip1559(&alice, 0, 3 * GWEI, GWEI), &before)
        .unwrap_err();
    assert!(
        matches!(err, PoolError::NonceTooLow { state_nonce: 1, .. }),
        "{err}"
    );
}

#[test]
fn best_refreshes_nonces_from_the_block_state() {
    let alice = signer(1);
    let pool = pool();
    let state = rich(&[&alice]);
    pool.add_raw(&eip1559(&alice, 0, 2 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 1, 2 * GWEI, GWEI), &state)
        .unwrap();
    // The chain moved on without the pool hearing of it (e.g. the transaction came another way).
    let moved = MemState::default().fund(alice.address(), 1, U256::from(10u128.pow(21)));
    let nonces: Vec<u64> = pool
        .best(BASE_FEE, &moved)
        .iter()
        .map(|tx| tx.nonce())
        .collect();
    assert_eq!(nonces, vec![1]);
    assert_eq!(pool.len(), 1, "the stale nonce-0 transaction is gone");
}

/// Issue 18: ~40 cheap accounts sending nonces state+1… used to fill the pool for good. Gapped
/// transactions are now capped per sender and in total, and an executable transaction evicts
/// one whatever it pays.
#[test]
fn a_gapped_nonce_flood_cannot_keep_an_honest_transaction_out() {
    let attackers: Vec<_> = (1..=40).map(signer).collect();
    let honest: Vec<_> = (100..=106).map(signer).collect();
    let state = rich(&attackers.iter().chain(&honest).collect::<Vec<_>>());
    let mut config = PoolConfig::new(CHAIN_ID, 30_000_000);
    config.limits.max_txs = 25;
    config.limits.max_queued = 20;
    config.limits.max_queued_per_sender = 5;
    let pool = Mempool::new(config);

    let (mut accepted, mut per_sender, mut full) = (0, 0, 0);
    for attacker in &attackers {
        for nonce in 1..=10 {
            match pool.add_raw(&eip1559(attacker, nonce, 100 * GWEI, 50 * GWEI), &state) {
                Ok(_) => accepted += 1,
                Err(PoolError::QueuedLimit { limit: 5, .. }) => per_sender += 1,
                Err(PoolError::QueueFull { limit: 20 }) => full += 1,
                Err(other) => panic!("unexpected refusal: {other}"),
            }
        }
    }
    assert_eq!((accepted, pool.queued(), pool.len()), (20, 20, 20));
    assert_eq!(
        per_sender,
        4 * 5,
        "the first four attackers hit their own cap"
    );
    assert_eq!(full, 400 - 20 - 20);
    let err = pool
        .add_raw(&eip1559(&attackers[39], 1, 100 * GWEI, 50 * GWEI), &state)
        .unwrap_err();
    assert!(err.to_string().starts_with("txpool is full"), "{err}");

    // Honest, executable, paying little: five fit, the rest evict gapped transactions.
    for (i, sender) in honest.iter().enumerate() {
        pool.add_raw(&eip1559(sender, 0, 100 * GWEI, 1), &state)
            .unwrap_or_else(|e| panic!("honest transaction {i} refused: {e}"));
    }
    assert_eq!((pool.len(), pool.queued()), (25, 18));
    let best: Vec<Address> = pool
        .best(BASE_FEE, &state)
        .iter()
        .map(|tx| tx.sender)
        .collect();
    assert_eq!(best.len(), honest.len(), "only the honest ones execute");
    assert!(honest.iter().all(|h| best.contains(&h.address())));

    // Filling a gap turns queued transactions into executable ones (the pool being full, the
    // newest gapped transaction of another sender makes room).
    let first = &attackers[0];
    pool.add_raw(&eip1559(first, 0, 100 * GWEI, 60 * GWEI), &state)
        .unwrap();
    assert_eq!((pool.len(), pool.queued()), (25, 18 - 1 - 5));
}

#[test]
fn a_senders_transactions_must_be_affordable_together() {
    let alice = signer(1);
    // Each transaction may cost 21 000 × its fee cap + 1 wei; the balance pays for two at
    // 100 gwei and one at 110 gwei.
    let cost = |gwei: u128| U256::from(21_000 * gwei * GWEI + 1);
    let balance = cost(100) * U256::from(2) + cost(110);
    let state = MemState::default().fund(alice.address(), 0, balance);
    let pool = pool();
    for nonce in 0..3 {
        pool.add_raw(&eip1559(&alice, nonce, 100 * GWEI, GWEI), &state)
            .unwrap();
    }
    let err = pool
        .add_raw(&eip1559(&alice, 3, 100 * GWEI, GWEI), &state)
        .unwrap_err();
    assert_eq!(
        err,
        PoolError::Overdraft {
            address: alice.address(),
            have: balance,
            want: cost(100) * U256::from(4),
        }
    );
    assert!(
        err.to_string()
            .starts_with("transaction would cause overdraft"),
        "{err}"
    );
    // A replacement stands in for the one it replaces: 10 % more still fits, 21 % does not.
    pool.add_raw(&eip1559(&alice, 2, 110 * GWEI, 2 * GWEI), &state)
        .unwrap();
    let err = pool
        .add_raw(&eip1559(&alice, 2, 121 * GWEI, 3 * GWEI), &state)
        .unwrap_err();
    assert!(matches!(err, PoolError::Overdraft { .. }), "{err}");
    assert_eq!(pool.len(), 3);
}

#[test]
fn gapped_transactions_expire_and_executable_ones_stay() {
    let alice = signer(1);
    let state = rich(&[&alice]);
    let mut config = PoolConfig::new(CHAIN_ID, 30_000_000);
    config.limits.queued_lifetime = std::time::Duration::from_millis(1);
    let pool = Mempool::new(config);
    pool.add_raw(&eip1559(&alice, 0, 100 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 2, 100 * GWEI, GWEI), &state)
        .unwrap();
    pool.add_raw(&eip1559(&alice, 3, 100 * GWEI, GWEI), &state)
        .unwrap();
    assert_eq!((pool.len(), pool.queued()), (3, 2));
    std::thread::sleep(std::time::Duration::from_millis(5));
    pool.on_block(&[], []);
    assert_eq!((pool.len(), pool.queued()), (1, 0));
    assert_eq!(pool.pending_nonce(&alice.address()), Some(1));
}

#[test]
fn take_all_empties_the_pool_keeping_each_senders_nonce_order() {
    let (alice, bob) = (signer(1), signer(2));
    let pool = pool();
    let state = rich(&[&alice, &bob]);
    for nonce in [1, 0, 2] {
        pool.add_raw(&eip1559(&alice, nonce, 2 * GWEI, GWEI), &state)
            .unwrap();
    }
    pool.add_raw(&eip1559(&bob, 0, 2 * GWEI, GWEI), &state)
        .unwrap();
    let taken = pool.take_all();
    assert_eq!(taken.len(), 4);
    assert!(pool.is_empty() && pool.queued() == 0);
    let alice_nonces: Vec<u64> = taken
        .iter()
        .filter(|tx| tx.sender == alice.address())
        .map(|tx| tx.nonce())
        .collect();
    assert_eq!(alice_nonces, [0, 1, 2]);
    // The pool takes them again as new.
    for tx in &taken {
        pool.add_raw(&tx.tx.encoded_2718(), &state).unwrap();
    }
    assert_eq!(pool.len(), 4);
}

#[test]
fn after_an_unwind_nonces_are_read_again() {
    let alice = signer(1);
    let pool = pool();
    let at = |nonce| MemState::default().fund(alice.address(), nonce, U256::from(10u128.pow(21)));
    for nonce in 0..4 {
        pool.add_raw(&eip1559(&alice, nonce, 2 * GWEI, GWEI), &at(0))
            .unwrap();
    }
    // A block mined nonces 0 and 1 (the pool drops them), then it was unwound: the state
    // says 0 again, but the pool keeps 2 and 3 and must not offer them first.
    assert_eq!(pool.best(BASE_FEE, &at(2)).len(), 2);
    assert_eq!(
        pool.best(BASE_FEE, &at(0)).len(),
        2,
        "the pool trusts its newer nonce"
    );
    pool.forget_state_nonces();
    assert!(
        pool.best(BASE_FEE, &at(0)).is_empty(),
        "nonce 2 cannot go before 0 and 1"
    );
    assert_eq!(pool.queued(), 2);
}

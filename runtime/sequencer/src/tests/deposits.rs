//! L1 deposits in blocks: forced first, credited or refunded as the bridge plugin says, and
//! folded with the withdrawals into the batch output that the STF reproduces.

use super::*;
use keel_primitives::{
    BatchSettlement, L1Deposit, L2_BRIDGE_ADDRESS, Withdrawal, WithdrawalTree,
    bridge::DepositsRollingHash,
};

fn l1_deposit(deposit_id: u64, recipient: Address, ether: u64) -> L1Deposit {
    let value = U256::from(ether) * U256::from(10u64).pow(U256::from(18u64));
    L1Deposit {
        deposit_id,
        l1_sender: Address::repeat_byte(0x11),
        from: Address::repeat_byte(0x11),
        recipient,
        mint: value,
        value,
        deadline: u64::MAX,
        l1_block: 10 + deposit_id,
        l1_tx_hash: B256::repeat_byte(deposit_id as u8 + 1),
        ..Default::default()
    }
}

/// `withdraw(address)` calldata for `L2Bridge`.
fn withdraw_call(receiver: Address) -> Vec<u8> {
    let mut input = keccak256("withdraw(address)")[..4].to_vec();
    input.extend_from_slice(receiver.into_word().as_slice());
    input
}

#[test]
fn deposits_go_first_are_credited_or_refunded_and_settle_in_the_batch() {
    // Deposits above 5 ETH are refunded to their L1 sender.
    let capped = only_plugin(
        keel_primitives::PluginSlot::Bridge,
        "bridge-capped",
        &[("max-deposit-wei", "5 ether")],
        keel_plugin_host::PluginLimits::default(),
    );
    let batcher = crate::config::BatcherConfig {
        max_blocks: 2,
        ..self_checking_batcher()
    };
    let mut chain = Chain::with(capped, Counter::default(), batcher);
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    let receiver = Address::repeat_byte(0x1e);

    // Block 1: a pool transaction arrives first, the deposits still go before it.
    let transfer = chain.send_value(Address::repeat_byte(3), U256::from(7));
    chain
        .storage
        .record_deposits(
            &[l1_deposit(0, alice, 1), l1_deposit(1, bob, 9)],
            scanned(20),
        )
        .unwrap();
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!((summary.deposits, summary.transactions), (2, 3));
    let snapshot = chain.storage.snapshot().unwrap();
    let (txs, _) = snapshot.body(1).unwrap().unwrap();
    assert_eq!(
        txs[0].as_deposit().map(|d| (d.deposit_id, d.refund)),
        Some((0, false))
    );
    assert_eq!(
        txs[1].as_deposit().map(|d| (d.deposit_id, d.refund)),
        Some((1, true))
    );
    assert_eq!(txs[2].hash(), transfer);
    let ether = U256::from(10u64).pow(U256::from(18u64));
    assert_eq!(snapshot.account(&alice).unwrap().unwrap().balance, ether);
    assert!(
        snapshot.account(&bob).unwrap().is_none(),
        "a refunded deposit credits nothing"
    );
    assert_eq!(snapshot.next_l2_deposit().unwrap(), 2);
    let plugins = snapshot.block_plugins(1).unwrap().unwrap();
    assert!(
        plugins
            .iter()
            .any(|p| p.slot == keel_primitives::PluginSlot::Bridge && !p.fell_back)
    );
    drop(snapshot);

    // Block 2: the dev key withdraws 0.25 ETH through the predeploy; the value is burnt.
    let quarter = ether / U256::from(4);
    let withdraw = chain.send_tx(TxEip1559 {
        to: TxKind::Call(L2_BRIDGE_ADDRESS),
        value: quarter,
        input: withdraw_call(receiver).into(),
        gas_limit: 100_000,
        ..Default::default()
    });
    chain.proposer.build_block().unwrap();
    assert!(chain.receipt_status(withdraw));
    let snapshot = chain.storage.snapshot().unwrap();
    assert!(
        snapshot
            .account(&L2_BRIDGE_ADDRESS)
            .unwrap()
            .unwrap()
            .balance
            .is_zero(),
        "withdrawn value is burnt"
    );
    drop(snapshot);
    chain.assert_root_from_scratch();

    // Block 3 seals batch 1 (blocks 1-2); the self-check ran the STF on it.
    chain.proposer.build_block().unwrap();
    let snapshot = chain.storage.snapshot().unwrap();
    let batch = snapshot.batch(1).unwrap().expect("batch 1 sealed");
    assert_eq!(
        (batch.first_block, batch.last_block, batch.deposits),
        (1, 2, 2)
    );

    let mut rolling = DepositsRollingHash::default();
    rolling.push(l1_deposit(0, alice, 1).to_tx(false).deposit_hash());
    rolling.push(l1_deposit(1, bob, 9).to_tx(true).deposit_hash());
    assert_eq!(batch.output.deposits_rolling_hash, rolling.hash());

    let refund_hash = {
        let (txs, _) = snapshot.body(1).unwrap().unwrap();
        txs[1].hash()
    };
    let expected = [
        Withdrawal {
            l2_tx_hash: refund_hash,
            index_in_tx: 0,
            l2_sender: bob,
            l1_receiver: Address::repeat_byte(0x11),
            amount: U256::from(9u64) * ether,
            token: Address::ZERO,
        },
        Withdrawal {
            l2_tx_hash: withdraw,
            index_in_tx: 0,
            l2_sender: chain.key.address(),
            l1_receiver: receiver,
            amount: quarter,
            token: Address::ZERO,
        },
    ];
    let mut settlement = BatchSettlement::default();
    for number in 1..=2 {
        let (txs, _) = snapshot.body(number).unwrap().unwrap();
        let receipts = snapshot.receipts(number).unwrap().unwrap();
        settlement.add_block(&txs, &receipts);
    }
    assert_eq!(settlement.withdrawals, expected);
    assert_eq!(
        batch.output.withdrawals_root,
        WithdrawalTree::new(expected.iter().map(Withdrawal::leaf)).root()
    );

    // The prover input re-executes to the same output, deposits included.
    let input = keel_stf::ProverInput::decode(&snapshot.prover_input(1).unwrap().unwrap()).unwrap();
    assert_eq!(
        keel_stf::execute_batch(&input).unwrap().output,
        batch.output
    );
}

#[test]
fn deposits_are_included_in_queue_order_at_most_a_block_bound_at_a_time() {
    let chain = Chain::new();
    let deposits: Vec<L1Deposit> = (0..20)
        .map(|id| l1_deposit(id, Address::with_last_byte(id as u8 + 1), 1))
        .collect();
    chain
        .storage
        .record_deposits(&deposits, scanned(30))
        .unwrap();
    // The test proposer includes at most 16 per block.
    assert_eq!(chain.proposer.build_block().unwrap().deposits, 16);
    assert_eq!(chain.proposer.build_block().unwrap().deposits, 4);
    assert_eq!(chain.proposer.build_block().unwrap().deposits, 0);
    let snapshot = chain.storage.snapshot().unwrap();
    assert_eq!(snapshot.next_l2_deposit().unwrap(), 20);
    let (txs, _) = snapshot.body(2).unwrap().unwrap();
    let ids: Vec<u64> = txs
        .iter()
        .filter_map(|tx| tx.as_deposit())
        .map(|d| d.deposit_id)
        .collect();
    assert_eq!(ids, vec![16, 17, 18, 19]);
}

#[test]
fn a_withdrawal_the_bridge_rules_reject_stays_out_of_the_block() {
    // Withdrawals above 1 ETH are rejected.
    let capped = only_plugin(
        keel_primitives::PluginSlot::Bridge,
        "bridge-capped",
        &[
            ("max-deposit-wei", "5 ether"),
            ("max-withdrawal-wei", "1 ether"),
        ],
        keel_plugin_host::PluginLimits::default(),
    );
    let mut chain = Chain::with(capped, Counter::default(), self_checking_batcher());
    let receiver = Address::repeat_byte(0x1e);
    let ether = U256::from(10u64).pow(U256::from(18u64));
    let withdraw = |chain: &mut Chain, value: U256| {
        chain.send_tx(TxEip1559 {
            to: TxKind::Call(L2_BRIDGE_ADDRESS),
            value,
            input: withdraw_call(receiver).into(),
            gas_limit: 100_000,
            ..Default::default()
        })
    };
    let too_much = withdraw(&mut chain, ether * U256::from(2));
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!((summary.transactions, summary.dropped), (0, 1));
    let snapshot = chain.storage.snapshot().unwrap();
    assert!(snapshot.tx_location(&too_much).unwrap().is_none());
    assert!(
        snapshot.account(&L2_BRIDGE_ADDRESS).unwrap().is_none()
            || snapshot
                .account(&L2_BRIDGE_ADDRESS)
                .unwrap()
                .unwrap()
                .balance
                .is_zero(),
        "a refused transaction moves nothing"
    );
    let plugins = snapshot.block_plugins(1).unwrap().unwrap();
    assert!(
        plugins
            .iter()
            .any(|p| p.slot == keel_primitives::PluginSlot::Bridge && !p.fell_back),
        "the block records the bridge plugin that decided: {plugins:?}"
    );
    drop(snapshot);
    assert!(
        chain.pool.is_empty(),
        "the refused transaction left the pool"
    );

    // The sender's nonce was not used: the same nonce, within the cap, is mined.
    chain.nonce -= 1;
    let allowed = withdraw(&mut chain, ether / U256::from(2));
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!(summary.transactions, 1);
    assert!(chain.receipt_status(allowed));
}

#[test]
fn a_call_from_l1_runs_as_its_sender_withdraws_and_is_never_refunded() {
    // The bridge rules refuse every deposit above 1 ETH; they are not asked about calls.
    let capped = only_plugin(
        keel_primitives::PluginSlot::Bridge,
        "bridge-capped",
        &[("max-deposit-wei", "1 ether")],
        keel_plugin_host::PluginLimits::default(),
    );
    let batcher = crate::config::BatcherConfig {
        max_blocks: 1,
        ..self_checking_batcher()
    };
    let chain = Chain::with(capped, Counter::default(), batcher);
    let ether = U256::from(10u64).pow(U256::from(18u64));
    let (user, receiver) = (Address::repeat_byte(0x5e), Address::repeat_byte(0x1e));
    // A censored user forces `L2Bridge.withdraw(receiver)` with 2 ETH from L1, paying 3 ETH
    // there: 3 are minted to it on L2, 2 leave again as a withdrawal.
    let forced = L1Deposit {
        gas_limit: 100_000,
        data: withdraw_call(receiver).into(),
        recipient: L2_BRIDGE_ADDRESS,
        mint: U256::from(3) * ether,
        value: U256::from(2) * ether,
        l1_sender: user,
        from: user,
        ..l1_deposit(0, L2_BRIDGE_ADDRESS, 0)
    };
    // A call whose gas cannot cover its calldata: included as failed, the mint kept.
    let starved = L1Deposit {
        gas_limit: 21_000,
        data: vec![1; 64].into(),
        recipient: receiver,
        mint: ether,
        value: U256::ZERO,
        l1_sender: user,
        from: user,
        ..l1_deposit(1, receiver, 0)
    };
    chain
        .storage
        .record_deposits(&[forced.clone(), starved.clone()], scanned(20))
        .unwrap();
    let summary = chain.proposer.build_block().unwrap();
    assert_eq!(summary.deposits, 2);
    let snapshot = chain.storage.snapshot().unwrap();
    let (txs, _) = snapshot.body(1).unwrap().unwrap();
    let receipts = snapshot.receipts(1).unwrap().unwrap();
    assert_eq!(
        txs[0].as_deposit(),
        Some(&forced.to_tx(false)),
        "never refunded"
    );
    assert!(receipts[0].success(), "the forced withdrawal ran");
    assert!(
        receipts[0].cumulative_gas_used() > 21_000,
        "a call uses gas"
    );
    assert!(!receipts[1].success(), "the starved call failed");
    assert_eq!(
        snapshot.account(&user).unwrap().unwrap().balance,
        U256::from(2) * ether,
        "3 minted - 2 withdrawn + 1 minted by the failed call; no gas paid"
    );
    let mut settlement = BatchSettlement::default();
    settlement.add_block(&txs, &receipts);
    assert_eq!(
        settlement.withdrawals,
        [Withdrawal {
            l2_tx_hash: txs[0].hash(),
            index_in_tx: 0,
            l2_sender: user,
            l1_receiver: receiver,
            amount: U256::from(2) * ether,
            token: Address::ZERO,
        }]
    );
    drop(snapshot);

    // The next block seals batch 1; the self-check's STF reproduced it, calls included.
    chain.proposer.build_block().unwrap();
    let snapshot = chain.storage.snapshot().unwrap();
    let batch = snapshot.batch(1).unwrap().expect("batch 1 sealed");
    assert_eq!(batch.output.withdrawals_root, settlement.withdrawals_root());
    let mut rolling = DepositsRollingHash::default();
    rolling.push(forced.to_tx(false).deposit_hash());
    rolling.push(starved.to_tx(false).deposit_hash());
    assert_eq!(batch.output.deposits_rolling_hash, rolling.hash());
    let input = keel_stf::ProverInput::decode(&snapshot.prover_input(1).unwrap().unwrap()).unwrap();
    assert_eq!(
        keel_stf::execute_batch(&input).unwrap().output,
        batch.output
    );

    // A sequencer cannot bounce a call: the STF refuses a batch that refunds one (checked on
    // a validium-style input, so that the blob binding is not what refuses it).
    let mut blocks = keel_da::Frame::parse(&input.frame)
        .unwrap()
        .blocks()
        .unwrap();
    let mut bounced = forced.to_tx(false);
    bounced.refund = true;
    blocks[0].transactions[0] = keel_primitives::KeelTx::from(bounced);
    let tampered = keel_stf::ProverInput {
        frame: keel_da::Frame::uncompressed(&blocks).0,
        blob_hashes: Vec::new(),
        ..input
    };
    let error = keel_stf::execute_batch(&tampered).unwrap_err().to_string();
    assert!(error.contains("never refunded"), "{error}");
}

/// The L1 watcher's checkpoint at block `number` (hash irrelevant here).
fn scanned(number: u64) -> keel_storage::L1Checkpoint {
    keel_storage::L1Checkpoint {
        number,
        hash: alloy_primitives::B256::ZERO,
    }
}

//! The reference plugins behave as documented, through the host.

use alloy_consensus::Header;
use alloy_primitives::{Address, Bytes, U256};
use keel_evm::{BaseFeeRule, Eip1559BaseFee};
use keel_plugin_host::{
    Asset, Candidate, Deposit, DepositDecision, FeeParams, L1Summary, OrderingContext,
    ParentSummary, PluginEngine, PluginError, Withdrawal, WithdrawalDecision,
};
use keel_primitives::ChainSpec;

use crate::{bridge_plugin, fee_plugin, ordering_plugin};

const PARAMS: FeeParams = FeeParams {
    min_base_fee: 0,
    max_base_fee: u64::MAX,
    elasticity_multiplier: 2,
    max_change_denominator: 8,
    max_change_bps: 1_250,
    max_data_price: u64::MAX,
};

#[test]
fn fee_eip1559_matches_the_native_rule() {
    let engine = PluginEngine::new().unwrap();
    let plugin = fee_plugin(&engine, "fee-eip1559", &[]);
    let native = Eip1559BaseFee::new(ChainSpec::ethereum_like(1));
    for (gas_used, base_fee) in [
        (0, 1_000_000_000),
        (15_000_000, 7),
        (30_000_000, 1_000_000_000),
        (29_999_999, 123_456_789),
        (1, 8),
    ] {
        let parent = Header {
            gas_used,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(base_fee),
            ..Default::default()
        };
        let decision = plugin
            .next_fees(&engine, ParentSummary::from(&parent), L1, PARAMS)
            .unwrap();
        assert_eq!(
            decision.base_fee,
            native.next_base_fee(&parent),
            "gas used {gas_used}, base fee {base_fee}"
        );
        // WIT 0.2.0: the native data price, blob space at 1 gwei per blob gas, 80 % compressed
        // (keel_sequencer::native_data_price; the sequencer's tests check the same figure).
        assert_eq!(decision.data_price, Some(825_806_451_613));
    }
    assert_eq!(plugin.wit_version(), "0.2.0");
}

/// An L1 whose blob base fee is 1 gwei.
const L1: L1Summary = L1Summary {
    blob_base_fee: 1_000_000_000,
};

#[test]
fn fee_fixed_obeys_settings_and_host_bounds() {
    let engine = PluginEngine::new().unwrap();
    let parent = ParentSummary {
        number: 1,
        timestamp: 0,
        gas_used: 0,
        gas_limit: 30_000_000,
        base_fee: 1_000,
    };
    let plugin = fee_plugin(&engine, "fee-fixed", &[("base-fee", "1100")]);
    // A WIT 0.1.0 rule: it sets no data price (the native one applies).
    assert_eq!(plugin.wit_version(), "0.1.0");
    let decision = plugin.next_fees(&engine, parent, L1, PARAMS).unwrap();
    assert_eq!((decision.base_fee, decision.data_price), (1_100, None));
    // 50 % above the parent: beyond the 12.5 % a block may move.
    let plugin = fee_plugin(&engine, "fee-fixed", &[("base-fee", "1500")]);
    let err = plugin.next_fees(&engine, parent, L1, PARAMS).unwrap_err();
    assert!(matches!(err, PluginError::Invariant { .. }), "{err}");
    assert!(err.to_string().contains("fee-fixed@test"), "{err}");
    // A missing setting is the plugin's own refusal.
    let plugin = fee_plugin(&engine, "fee-fixed", &[]);
    let err = plugin.next_fees(&engine, parent, L1, PARAMS).unwrap_err();
    assert!(
        matches!(err, PluginError::Refused { .. }) && err.to_string().contains("base-fee"),
        "{err}"
    );
}

fn candidate(sender: u8, nonce: u64, tip: u128, arrival: u64) -> Candidate {
    Candidate {
        hash: [sender; 32],
        sender: [sender; 20],
        nonce,
        gas_limit: 21_000,
        max_fee: 100,
        max_priority_fee: tip,
        size: 110,
        tx_type: 2,
        arrival,
    }
}

const CTX: OrderingContext = OrderingContext {
    number: 1,
    timestamp: 0,
    gas_limit: 30_000_000,
    base_fee: 10,
};

#[test]
fn ordering_plugins_order_as_documented() {
    let engine = PluginEngine::new().unwrap();
    // a0 (tip 1, first), a1 (tip 9), b0 (tip 5)
    let candidates = [
        candidate(0xa, 0, 1, 0),
        candidate(0xa, 1, 9, 1),
        candidate(0xb, 0, 5, 2),
    ];
    let by_tip = ordering_plugin(&engine, "ordering-priority-fee");
    // WIT 0.4.0: the plugin ranks, the host merges.
    assert_eq!(by_tip.wit_version(), "0.4.0");
    let by_tip = by_tip.order(&engine, CTX, &candidates).unwrap();
    assert_eq!(by_tip.order, vec![2, 0, 1]);
    assert!(by_tip.dropped.is_empty());
    let fifo = ordering_plugin(&engine, "ordering-fifo")
        .order(&engine, CTX, &candidates)
        .unwrap();
    assert_eq!(fifo.order, vec![0, 1, 2]);
}

#[test]
fn bridge_capped_refunds_above_the_cap() {
    let engine = PluginEngine::new().unwrap();
    let plugin = bridge_plugin(&engine, "bridge-capped", &[("max-deposit-wei", "1000")]);
    let deposit = |asset: Asset, amount: u64| Deposit {
        l1_sender: Address::repeat_byte(1),
        l2_recipient: Address::repeat_byte(2),
        asset,
        amount: U256::from(amount),
        data: Bytes::new(),
        l1_block: 7,
        deadline: 100,
    };
    let eth = |amount| deposit(Asset::Eth, amount);
    assert_eq!(
        plugin.on_deposit(&engine, &eth(1000)).unwrap(),
        DepositDecision::Credit
    );
    assert!(matches!(
        plugin.on_deposit(&engine, &eth(1001)).unwrap(),
        DepositDecision::Refund(_)
    ));
    let all = bridge_plugin(&engine, "bridge-accept-all", &[]);
    assert_eq!(
        all.on_deposit(&engine, &eth(u64::MAX)).unwrap(),
        DepositDecision::Credit
    );
}

#[test]
fn bridge_rules_see_tokens_from_wit_0_3_and_a_0_1_rule_is_never_asked_about_them() {
    let engine = PluginEngine::new().unwrap();
    let token = Asset::Erc20(Address::repeat_byte(9));
    let deposit = |amount: u64| Deposit {
        l1_sender: Address::repeat_byte(1),
        l2_recipient: Address::repeat_byte(2),
        asset: token,
        amount: U256::from(amount),
        data: Bytes::new(),
        l1_block: 7,
        deadline: 100,
    };
    let withdrawal = |amount: u64| Withdrawal {
        l2_sender: Address::repeat_byte(2),
        l1_receiver: Address::repeat_byte(1),
        asset: token,
        amount: U256::from(amount),
    };
    let capped = bridge_plugin(
        &engine,
        "bridge-capped",
        &[
            ("max-deposit-wei", "0"),
            ("max-token-deposit", "50"),
            ("max-token-withdrawal", "5"),
        ],
    );
    assert_eq!(capped.wit_version(), "0.3.0");
    assert!(capped.covers(token));
    assert_eq!(
        capped.on_deposit(&engine, &deposit(50)).unwrap(),
        DepositDecision::Credit
    );
    match capped.on_deposit(&engine, &deposit(51)).unwrap() {
        DepositDecision::Refund(reason) => assert!(
            reason.contains("units of token 0x0909090909090909090909090909090909090909"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        capped.on_withdrawal(&engine, &withdrawal(5)).unwrap(),
        WithdrawalDecision::Allow
    );
    assert!(matches!(
        capped.on_withdrawal(&engine, &withdrawal(6)).unwrap(),
        WithdrawalDecision::Reject(_)
    ));

    // The frozen 0.1.0 interface has no token: the host answers the native rule for it.
    let old = bridge_plugin(&engine, "bridge-accept-all", &[]);
    assert_eq!(old.wit_version(), "0.1.0");
    assert!(old.covers(Asset::Eth) && !old.covers(token));
    assert_eq!(
        old.on_deposit(&engine, &deposit(u64::MAX)).unwrap(),
        DepositDecision::Credit
    );
}

//! SDK for Keel policy plugins: WebAssembly components implementing one of the worlds of
//! `wit/` (packages `keel:plugins@0.1.0`, `@0.2.0` for `fee-rule`, `@0.3.0` for `bridge-rules`,
//! `@0.4.0` for `ordering-policy`).
//!
//! A plugin implements one trait and exports it with the matching macro:
//!
//! | world             | trait               | export macro        |
//! |-------------------|---------------------|---------------------|
//! | `ordering-policy` 0.4.0 | [`OrderingPolicy`]  | [`export_ordering!`] |
//! | `ordering-policy` 0.1.0 | [`ordering_v0_1::OrderingPolicy`] | [`export_ordering_v0_1!`] |
//! | `fee-rule` 0.2.0  | [`FeeRule`]         | [`export_fee!`]      |
//! | `fee-rule` 0.1.0  | [`fee_v0_1::FeeRule`] | [`export_fee_v0_1!`] |
//! | `bridge-rules` 0.3.0 | [`BridgeRules`]  | [`export_bridge!`]   |
//! | `bridge-rules` 0.1.0 | [`bridge_v0_1::BridgeRules`] | [`export_bridge_v0_1!`] |
//!
//! ```
//! use keel_plugin_sdk::prelude::*;
//!
//! /// Highest tip first, leaving out tips below the `min-tip` setting (default 0).
//! pub struct TipFloor;
//!
//! impl OrderingPolicy for TipFloor {
//!     fn rank(
//!         ctx: BlockContext,
//!         settings: &Settings<'_>,
//!         candidates: Candidates<'_>,
//!     ) -> Result<Vec<u64>, String> {
//!         let Wei(min_tip) = settings.parse_or("min-tip", Wei(0u128))?; // "1 gwei", "1000", …
//!         // A rank per candidate; the host merges each sender's nonces in order, highest rank
//!         // first. `None` leaves a transaction (and its sender's later nonces) out.
//!         Ok(rank_each(candidates, |c| {
//!             let tip = c.effective_tip(ctx.base_fee)?; // None: max fee below the base fee
//!             (tip >= min_tip).then(|| u64::try_from(tip).unwrap_or(u64::MAX))
//!         }))
//!     }
//! }
//!
//! keel_plugin_sdk::export_ordering!(TipFloor);
//! # fn main() {
//! #     let list = [
//! #         Candidate { sender: [1; 20], max_fee: 100, max_priority_fee: 5, ..Default::default() },
//! #         Candidate { sender: [2; 20], max_fee: 100, max_priority_fee: 50, ..Default::default() },
//! #     ];
//! #     let bytes = keel_plugin_sdk::encode_candidates(&list);
//! #     let ctx = BlockContext { number: 1, timestamp: 0, gas_limit: 30_000_000, base_fee: 10 };
//! #     let raw = vec![("min-tip".to_string(), "10 wei".to_string())];
//! #     let ranks = TipFloor::rank(ctx, &Settings::new(&raw), Candidates::parse(2, &bytes).unwrap());
//! #     assert_eq!(merge_ranks(&list, &ranks.unwrap()), vec![1]);
//! # }
//! ```
//!
//! Build for `wasm32-unknown-unknown` and wrap the core module with
//! `wasm-tools component new` (see `plugins/build.sh`). The same crate builds natively, so the
//! policy's logic is unit-tested with plain `cargo test` by calling the trait directly.
//!
//! A plugin has no imports: no clock, no randomness, no I/O. Its answer must depend only on its
//! arguments; every call runs in a fresh instance.

mod candidate;
mod merge;
mod settings;
pub mod types;
mod wei;

pub mod bridge;
pub mod bridge_v0_1;
pub mod fee;
pub mod fee_v0_1;
pub mod ordering;
pub mod ordering_v0_1;

pub use bridge::{Asset, BridgeRules, Deposit, DepositDecision, Withdrawal, WithdrawalDecision};
pub use candidate::{
    CANDIDATE_SIZE, Candidate, CandidateIter, Candidates, LayoutError, encode_candidates,
};
pub use fee::{FeeDecision, FeeParams, FeeRule, L1Summary, ParentSummary, blob_data_price};
pub use keel_plugin_abi::{LEAVE_OUT, merge_ranks};
pub use merge::order_by_priority;
pub use ordering::{BlockContext, OrderingPolicy, rank_each};
pub use settings::{Settings, SettingsError};
pub use types::{Address, ParseU256Error, U256, U256TooLarge};
pub use wei::{ParseWeiError, Wei};

/// The settings list as the host passes it: `(key, value)` pairs in key order. Wrap it in
/// [`Settings`] to read it.
pub type RawSettings = Vec<(String, String)>;

/// Everything a plugin usually needs: `use keel_plugin_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Address, Asset, BlockContext, BridgeRules, Candidate, Candidates, Deposit, DepositDecision,
        FeeDecision, FeeParams, FeeRule, L1Summary, OrderingPolicy, ParentSummary, Settings,
        SettingsError, U256, Wei, Withdrawal, WithdrawalDecision, blob_data_price, merge_ranks,
        order_by_priority, rank_each,
    };
}

/// What the generated bindings use for the `keel:plugins/types` interface (mapped with
/// `with:` so that all three worlds share [`U256`] and [`Address`]).
#[doc(hidden)]
pub mod wit_types {
    pub use crate::types::{Address, U256};
    pub type Settings = crate::RawSettings;
}

/// Exports a type implementing [`OrderingPolicy`] as the component's
/// `keel:plugins/ordering@0.4.0`.
///
/// ```text
/// keel_plugin_sdk::export_ordering!(MyPolicy);
/// ```
///
/// Use it once per crate, at item level. The Wasm exports are emitted only when building for
/// a Wasm target, so the crate also builds (and tests) natively.
#[macro_export]
macro_rules! export_ordering {
    ($policy:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __KeelOrderingExport;

            impl $crate::ordering::bindings::exports::keel::plugins::ordering::Guest
                for __KeelOrderingExport
            {
                fn rank(
                    ctx: $crate::BlockContext,
                    settings: $crate::RawSettings,
                    count: u32,
                    candidates: ::std::vec::Vec<u8>,
                ) -> ::core::result::Result<::std::vec::Vec<u64>, ::std::string::String> {
                    $crate::ordering::__rank::<$policy>(ctx, settings, count, candidates)
                }
            }

            #[cfg(target_family = "wasm")]
            $crate::ordering::bindings::export_ordering_guest!(
                __KeelOrderingExport with_types_in $crate::ordering::bindings
            );
        };
    };
}

/// Exports a type implementing [`ordering_v0_1::OrderingPolicy`] as the component's
/// `keel:plugins/ordering@0.1.0` (frozen; new policies rank, with [`export_ordering!`]).
///
/// ```text
/// keel_plugin_sdk::export_ordering_v0_1!(MyPolicy);
/// ```
#[macro_export]
macro_rules! export_ordering_v0_1 {
    ($policy:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __KeelOrderingExport;

            impl $crate::ordering_v0_1::bindings::exports::keel::plugins::ordering::Guest
                for __KeelOrderingExport
            {
                fn order(
                    ctx: $crate::ordering_v0_1::BlockContext,
                    settings: $crate::RawSettings,
                    count: u32,
                    candidates: ::std::vec::Vec<u8>,
                ) -> ::core::result::Result<::std::vec::Vec<u32>, ::std::string::String> {
                    $crate::ordering_v0_1::__order::<$policy>(ctx, settings, count, candidates)
                }
            }

            #[cfg(target_family = "wasm")]
            $crate::ordering_v0_1::bindings::export_ordering_v0_1_guest!(
                __KeelOrderingExport with_types_in $crate::ordering_v0_1::bindings
            );
        };
    };
}

/// Exports a type implementing [`FeeRule`] as the component's `keel:plugins/fee@0.2.0`.
///
/// ```text
/// keel_plugin_sdk::export_fee!(MyRule);
/// ```
///
/// Use it once per crate, at item level. The Wasm exports are emitted only when building for
/// a Wasm target, so the crate also builds (and tests) natively.
#[macro_export]
macro_rules! export_fee {
    ($rule:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __KeelFeeExport;

            impl $crate::fee::bindings::exports::keel::plugins::fee::Guest for __KeelFeeExport {
                fn next_fees(
                    parent: $crate::ParentSummary,
                    l1: $crate::L1Summary,
                    params: $crate::FeeParams,
                    settings: $crate::RawSettings,
                ) -> ::core::result::Result<$crate::FeeDecision, ::std::string::String> {
                    $crate::fee::__next_fees::<$rule>(parent, l1, params, settings)
                }
            }

            #[cfg(target_family = "wasm")]
            $crate::fee::bindings::export_fee_guest!(
                __KeelFeeExport with_types_in $crate::fee::bindings
            );
        };
    };
}

/// Exports a type implementing [`fee_v0_1::FeeRule`] as the component's
/// `keel:plugins/fee@0.1.0` (the frozen interface: base fee only).
///
/// ```text
/// keel_plugin_sdk::export_fee_v0_1!(MyRule);
/// ```
#[macro_export]
macro_rules! export_fee_v0_1 {
    ($rule:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __KeelFeeExport;

            impl $crate::fee_v0_1::bindings::exports::keel::plugins::fee::Guest
                for __KeelFeeExport
            {
                fn next_base_fee(
                    parent: $crate::fee_v0_1::ParentSummary,
                    params: $crate::fee_v0_1::FeeParams,
                    settings: $crate::RawSettings,
                ) -> ::core::result::Result<
                    $crate::fee_v0_1::FeeDecision,
                    ::std::string::String,
                > {
                    $crate::fee_v0_1::__next_base_fee::<$rule>(parent, params, settings)
                }
            }

            #[cfg(target_family = "wasm")]
            $crate::fee_v0_1::bindings::export_fee_v0_1_guest!(
                __KeelFeeExport with_types_in $crate::fee_v0_1::bindings
            );
        };
    };
}

/// Exports a type implementing [`bridge_v0_1::BridgeRules`] as the component's
/// `keel:plugins/bridge@0.1.0` (the frozen interface: ETH only).
///
/// ```text
/// keel_plugin_sdk::export_bridge_v0_1!(MyRules);
/// ```
#[macro_export]
macro_rules! export_bridge_v0_1 {
    ($rules:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __KeelBridgeExport;

            impl $crate::bridge_v0_1::bindings::exports::keel::plugins::bridge::Guest
                for __KeelBridgeExport
            {
                fn on_deposit(
                    deposit: $crate::bridge_v0_1::Deposit,
                    settings: $crate::RawSettings,
                ) -> $crate::bridge_v0_1::DepositDecision {
                    $crate::bridge_v0_1::__on_deposit::<$rules>(deposit, settings)
                }

                fn on_withdrawal(
                    withdrawal: $crate::bridge_v0_1::Withdrawal,
                    settings: $crate::RawSettings,
                ) -> $crate::bridge_v0_1::WithdrawalDecision {
                    $crate::bridge_v0_1::__on_withdrawal::<$rules>(withdrawal, settings)
                }
            }

            #[cfg(target_family = "wasm")]
            $crate::bridge_v0_1::bindings::export_bridge_v0_1_guest!(
                __KeelBridgeExport with_types_in $crate::bridge_v0_1::bindings
            );
        };
    };
}

/// Exports a type implementing [`BridgeRules`] as the component's `keel:plugins/bridge@0.3.0`.
///
/// ```text
/// keel_plugin_sdk::export_bridge!(MyRules);
/// ```
///
/// Use it once per crate, at item level. The Wasm exports are emitted only when building for
/// a Wasm target, so the crate also builds (and tests) natively.
#[macro_export]
macro_rules! export_bridge {
    ($rules:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __KeelBridgeExport;

            impl $crate::bridge::bindings::exports::keel::plugins::bridge::Guest
                for __KeelBridgeExport
            {
                fn on_deposit(
                    deposit: $crate::Deposit,
                    settings: $crate::RawSettings,
                ) -> $crate::DepositDecision {
                    $crate::bridge::__on_deposit::<$rules>(deposit, settings)
                }

                fn on_withdrawal(
                    withdrawal: $crate::Withdrawal,
                    settings: $crate::RawSettings,
                ) -> $crate::WithdrawalDecision {
                    $crate::bridge::__on_withdrawal::<$rules>(withdrawal, settings)
                }
            }

            #[cfg(target_family = "wasm")]
            $crate::bridge::bindings::export_bridge_guest!(
                __KeelBridgeExport with_types_in $crate::bridge::bindings
            );
        };
    };
}

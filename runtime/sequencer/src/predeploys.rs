//! Contracts every Keel chain has from genesis, compiled from `contracts/src/l2`.

#![allow(missing_docs, unreachable_pub)]

mod bindings {
    alloy_sol_types::sol!(L2Bridge, "../../contracts/out/L2Bridge.json");
    alloy_sol_types::sol!(L1FeeOracle, "../../contracts/out/L1FeeOracle.json");
    alloy_sol_types::sol!(L1FeeVault, "../../contracts/out/L1FeeVault.json");
}

/// The runtime code of `L2Bridge` (`withdraw(l1Receiver)`), placed at
/// [`keel_primitives::L2_BRIDGE_ADDRESS`].
pub fn l2_bridge_code() -> alloy_primitives::Bytes {
    bindings::L2Bridge::DEPLOYED_BYTECODE.clone()
}

/// The runtime code of `L1FeeOracle` (the block's data fee, `getL1Fee(bytes)`), placed at
/// [`keel_primitives::L1_FEE_ORACLE_ADDRESS`].
pub fn l1_fee_oracle_code() -> alloy_primitives::Bytes {
    bindings::L1FeeOracle::DEPLOYED_BYTECODE.clone()
}

/// The runtime code of `L1FeeVault` (collects the data fees, `withdraw()` to L1), placed at
/// [`keel_primitives::L1_FEE_VAULT_ADDRESS`].
pub fn l1_fee_vault_code() -> alloy_primitives::Bytes {
    bindings::L1FeeVault::DEPLOYED_BYTECODE.clone()
}

//! Contracts every Keel chain has from genesis, compiled from `contracts/src/l2`.

#![allow(missing_docs, unreachable_pub)]

mod bindings {
    alloy_sol_types::sol!(L2Bridge, "../../contracts/out/L2Bridge.json");
}

/// The runtime code of `L2Bridge` (`withdraw(l1Receiver)`), placed at
/// [`keel_primitives::L2_BRIDGE_ADDRESS`].
pub fn l2_bridge_code() -> alloy_primitives::Bytes {
    bindings::L2Bridge::DEPLOYED_BYTECODE.clone()
}

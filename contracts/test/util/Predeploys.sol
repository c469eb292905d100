// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {L1FeeOracle} from "../../src/l2/L1FeeOracle.sol";
import {L1FeeVault} from "../../src/l2/L1FeeVault.sol";
import {L2Bridge} from "../../src/l2/L2Bridge.sol";
import {Test} from "./Test.sol";

/// @notice Places the L2 predeploys at their genesis addresses the way L2 genesis does: as
///         deployed bytecode (no constructor run) plus the storage slots genesis sets.
/// @dev The addresses are the node's (runtime/primitives: L2_BRIDGE_ADDRESS,
///      L1_FEE_ORACLE_ADDRESS, L1_FEE_VAULT_ADDRESS).
abstract contract PredeployTest is Test {
    address internal constant L2_BRIDGE = 0x000000000000000000000000000000000000ff01;
    address internal constant L1_FEE_ORACLE = 0x000000000000000000000000000000000000fF02;
    address internal constant L1_FEE_VAULT = 0x000000000000000000000000000000000000FF03;

    function placeBridge() internal returns (L2Bridge) {
        vm.etch(L2_BRIDGE, address(new L2Bridge()).code);
        vm.label(L2_BRIDGE, "L2Bridge");
        return L2Bridge(L2_BRIDGE);
    }

    /// @param blobBaseFee Slot 0, as the node writes it at the start of every block.
    /// @param dataPrice Slot 1, likewise.
    function placeOracle(uint256 blobBaseFee, uint256 dataPrice) internal returns (L1FeeOracle) {
        vm.etch(L1_FEE_ORACLE, address(new L1FeeOracle()).code);
        vm.label(L1_FEE_ORACLE, "L1FeeOracle");
        setOracleSlots(blobBaseFee, dataPrice);
        return L1FeeOracle(L1_FEE_ORACLE);
    }

    function setOracleSlots(uint256 blobBaseFee, uint256 dataPrice) internal {
        vm.store(L1_FEE_ORACLE, bytes32(uint256(0)), bytes32(blobBaseFee));
        vm.store(L1_FEE_ORACLE, bytes32(uint256(1)), bytes32(dataPrice));
    }

    /// @param recipient Slot 0 (`[fees] l1_fee_recipient` in the genesis config).
    function placeVault(address recipient) internal returns (L1FeeVault) {
        vm.etch(L1_FEE_VAULT, address(new L1FeeVault()).code);
        vm.label(L1_FEE_VAULT, "L1FeeVault");
        vm.store(L1_FEE_VAULT, bytes32(uint256(0)), bytes32(uint256(uint160(recipient))));
        return L1FeeVault(L1_FEE_VAULT);
    }
}

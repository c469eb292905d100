// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title KeelTimelock
/// @notice The owner of every Keel settlement contract. A change that can move funds or change
///         what L1 accepts as valid (verifiers, pinned programs, prover keys, the sequencer, the
///         bridge's security council) is scheduled here by the owner and runs no sooner than
///         `getMinDelay()` later: every user sees it coming and has that long to leave.
/// @dev OpenZeppelin's `TimelockController`, unchanged but for two rules:
///      - the delay never drops below `exitWindow`, fixed at deployment (`updateDelay`, itself
///        timelocked, refuses a shorter one), so the window users read on chain stays true;
///      - the security council, if any, may cancel a scheduled operation (it can stop a change,
///        never make one).
///      Roles: the owner proposes (and cancels); anyone may execute a ready operation; the
///      timelock administers itself, so granting a role also waits out the delay.
contract KeelTimelock is TimelockController {
    /// @notice The shortest delay this timelock can ever have, seconds: the exit window.
    uint256 public immutable exitWindow;

    /// @notice `updateDelay` was asked for a delay shorter than the exit window.
    error DelayBelowExitWindow(uint256 delay, uint256 exitWindow);
    /// @notice The owner must be a nonzero address.
    error ZeroOwner();

    /// @param exitWindow_ The delay, and its floor for good (seconds).
    /// @param owner The account (a multisig on a real chain) that schedules changes.
    /// @param securityCouncil The account that may cancel scheduled changes; zero for none.
    constructor(uint256 exitWindow_, address owner, address securityCouncil)
        TimelockController(exitWindow_, _one(owner), _one(address(0)), address(0))
    {
        if (owner == address(0)) revert ZeroOwner();
        exitWindow = exitWindow_;
        if (securityCouncil != address(0)) _grantRole(CANCELLER_ROLE, securityCouncil);
    }

    /// @inheritdoc TimelockController
    /// @dev Refuses a delay shorter than `exitWindow`.
    function updateDelay(uint256 newDelay) public override {
        if (newDelay < exitWindow) revert DelayBelowExitWindow(newDelay, exitWindow);
        super.updateDelay(newDelay);
    }

    function _one(address account) private pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
    }
}

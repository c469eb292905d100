// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {BridgedERC20} from "./BridgedERC20.sol";

/// @title L2Bridge
/// @notice L2 predeploy for leaving L2, and for ERC-20 tokens arriving from L1.
///         - `withdraw(l1Receiver)` with ETH only emits `WithdrawalInitiated`; after the
///           transaction the node burns the value from this contract's balance and adds a leaf
///           keccak256(abi.encode(l2TxHash, indexInTx, l1Receiver, amount)) to the batch's
///           withdrawals tree, claimable on L1 from the CommonBridge once the batch is verified.
///         - `finalizeTokenDeposit` (a message the L1 CommonBridge itself queues, running as
///           `L1_BRIDGE_SENDER`) mints an L1 token's canonical L2 token, creating it on first
///           use at `l2TokenOf(l1Token)`.
///         - `withdrawToken(l2Token, l1Receiver, amount)` burns the caller's canonical tokens and
///           emits `TokenWithdrawalInitiated`; the leaf is
///           keccak256(abi.encode(l2TxHash, indexInTx, l1Receiver, amount, l1Token)), claimed
///           with `CommonBridge.claimTokenWithdrawal`.
/// @dev Placed in L2 genesis as deployed bytecode: no constructor logic, no immutables, no
///      storage. No receive or fallback function, so plain ETH transfers revert.
contract L2Bridge {
    /// @notice The L2 sender of the messages the L1 CommonBridge queues itself (token
    ///         deposits): no L1 account runs as it (an externally owned account runs as its own
    ///         address, a contract as its address plus the alias offset).
    address public constant L1_BRIDGE_SENDER = 0x000000000000000000000000000000000000FF04;

    /// @notice `l2Sender` withdrew `amount` wei to `l1Receiver` on L1.
    event WithdrawalInitiated(address indexed l2Sender, address indexed l1Receiver, uint256 amount);
    /// @notice `l2Sender` withdrew `amount` of `l1Token` (burnt as its L2 token) to `l1Receiver`.
    event TokenWithdrawalInitiated(
        address indexed l1Token, address indexed l2Sender, address indexed l1Receiver, uint256 amount
    );
    /// @notice `amount` of `l1Token`, deposited by `l1Sender`, was minted as `l2Token` to `to`.
    event TokenDepositFinalized(
        address indexed l1Token, address indexed l2Token, address indexed to, address l1Sender, uint256 amount
    );

    /// @notice A withdrawal must carry a positive value.
    error ZeroWithdrawal();
    /// @notice A withdrawal must name a nonzero L1 receiver.
    error ZeroReceiver();
    /// @notice Only the L1 bridge's messages finalize token deposits.
    error NotL1Bridge(address caller);
    /// @notice The token is not a canonical bridged token.
    error NotABridgedToken(address token);

    /// @notice Withdraws `msg.value` wei to `l1Receiver` on L1.
    /// @param l1Receiver The L1 account to pay (nonzero).
    function withdraw(address l1Receiver) external payable {
        if (msg.value == 0) revert ZeroWithdrawal();
        if (l1Receiver == address(0)) revert ZeroReceiver();
        emit WithdrawalInitiated(msg.sender, l1Receiver, msg.value);
    }

    /// @notice Mints `amount` of `l1Token`'s canonical L2 token to `to`, creating the token on
    ///         its first deposit. Only as a message from the L1 CommonBridge.
    function finalizeTokenDeposit(
        address l1Token,
        address l1Sender,
        address to,
        uint256 amount,
        string calldata name,
        string calldata symbol,
        uint8 decimals
    ) external {
        if (msg.sender != L1_BRIDGE_SENDER) revert NotL1Bridge(msg.sender);
        address l2Token = l2TokenOf(l1Token);
        if (l2Token.code.length == 0) {
            new BridgedERC20{salt: _salt(l1Token)}();
            BridgedERC20(l2Token).initialize(l1Token, name, symbol, decimals);
        }
        BridgedERC20(l2Token).mint(to, amount);
        emit TokenDepositFinalized(l1Token, l2Token, to, l1Sender, amount);
    }

    /// @notice Burns `amount` of the caller's `l2Token` and withdraws it to `l1Receiver` on L1.
    /// @param l2Token A canonical bridged token (`l2TokenOf` of its L1 token).
    /// @param l1Receiver The L1 account to pay (nonzero).
    /// @param amount The amount (positive).
    function withdrawToken(address l2Token, address l1Receiver, uint256 amount) external {
        if (amount == 0) revert ZeroWithdrawal();
        if (l1Receiver == address(0)) revert ZeroReceiver();
        if (l2Token.code.length == 0) revert NotABridgedToken(l2Token);
        address l1Token = BridgedERC20(l2Token).l1Token();
        if (l1Token == address(0) || l2TokenOf(l1Token) != l2Token) revert NotABridgedToken(l2Token);
        BridgedERC20(l2Token).burn(msg.sender, amount);
        emit TokenWithdrawalInitiated(l1Token, msg.sender, l1Receiver, amount);
    }

    /// @notice The canonical L2 token of `l1Token`: CREATE2 by this contract, salt the L1
    ///         token's address, code `BridgedERC20`'s creation code.
    function l2TokenOf(address l1Token) public view returns (address) {
        bytes32 digest = keccak256(
            abi.encodePacked(bytes1(0xff), address(this), _salt(l1Token), keccak256(type(BridgedERC20).creationCode))
        );
        return address(uint160(uint256(digest)));
    }

    function _salt(address l1Token) private pure returns (bytes32) {
        return bytes32(uint256(uint160(l1Token)));
    }
}

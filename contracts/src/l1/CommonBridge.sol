// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IOnChainProposer} from "./IOnChainProposer.sol";

/// @title CommonBridge
/// @notice Holds the ETH bridged to the Keel L2 and queues L1 → L2 messages. A message is an
///         L2 call made from L1: `sendMessage` runs `to.call{value, gas: gasLimit}(data)` on L2
///         as from the sender (aliased if it is a contract), with `msg.value` minted to it
///         first; a deposit is the special case with no call (gas limit 0), which credits
///         `value` to the recipient. Messages enter one FIFO queue that the OnChainProposer
///         consumes as batches are committed; a batch must include every message older than
///         `inclusionPeriod` at its last L2 block's time (forced inclusion), so a censored user
///         can always act on L2, e.g. withdraw. Withdrawals made on L2 are paid out here once their batch is
///         verified, against a Merkle proof of the batch's withdrawals root.
/// @dev Hash rules (the node computes the same):
///      - message hash: keccak256(abi.encode(uint256 id, address l1Sender, address from, address to,
///        uint256 mint, uint256 value, uint256 gasLimit, bytes32 keccak256(data)))
///      - rolling hash: starts at 0; rolling = keccak256(abi.encodePacked(rolling, messageHash)) per message in order
///      - `from` is `l1Sender` for an externally owned account and `l1Sender + ALIAS_OFFSET`
///        (mod 2**160) for a contract (`msg.sender != tx.origin`), as on OP Stack and Arbitrum:
///        a contract's L1 address says nothing about who controls that address on L2.
///      - refunds: only a deposit (gas limit 0) may be refunded by the L2 bridge rules (its
///        value then becomes a withdrawal back to `l1Sender`); the STF refuses a refunded call,
///        and the gas limit is in the hash, so a sequencer can never bounce a forced call.
///      - the queue's functions keep their deposit names (`consumeDeposits`, `depositCount`,
///        `depositHash`, `depositDeadline`): every message, deposit or call, is in that one queue.
///      - withdrawal leaf: keccak256(abi.encode(bytes32 l2TxHash, uint256 indexInTx, address l1Receiver, uint256 amount));
///        a token's: keccak256(abi.encode(bytes32 l2TxHash, uint256 indexInTx, address l1Receiver, uint256 amount, address l1Token))
///      - ERC-20 tokens travel on the same messaging: `depositERC20` escrows the tokens here and
///        queues a call of `L2Bridge.finalizeTokenDeposit` running as `L1_BRIDGE_SENDER`, which
///        mints the token's canonical L2 token; `L2Bridge.withdrawToken` burns it, and
///        `claimTokenWithdrawal` pays the escrow out. `escrowed(token)` is what L2 holds.
///      - withdrawals tree: leaves padded with bytes32(0) to a power of two, parent = keccak256(abi.encodePacked(left, right))
///
///      Who may do what (besides the proposer's `consumeDeposits`):
///      - the deployer links the proposer, once (`setProposer`), and has no other power;
///      - the owner (the timelock in a `keel deploy`) replaces the security council, lifts a
///        pause and re-arms the council's pause;
///      - the security council may `pause` deposits and claims at once, for at most
///        `maxPause` seconds, and only once until the owner re-arms it; it may lift its pause.
///        It cannot move funds, change the proposer or touch a withdrawal's payee.
contract CommonBridge is Ownable2Step, Pausable {
    using SafeERC20 for IERC20;

    /// @notice The account allowed to set the proposer, once (the deployer).
    address public immutable deployer;
    /// @notice Seconds a deposit may wait before a batch that leaves it out is refused.
    uint256 public immutable inclusionPeriod;
    /// @notice The smallest gas limit of an L2 call (an L2 transaction's intrinsic gas).
    uint64 public constant MIN_MESSAGE_GAS = 21_000;
    /// @notice The largest gas limit of an L2 call: well inside one L2 block, so every queued
    ///         message fits a block of its own.
    uint64 public constant MAX_MESSAGE_GAS = 2_000_000;
    /// @notice The most calldata an L2 call carries, bytes.
    uint256 public constant MAX_MESSAGE_DATA = 16_384;
    /// @notice The L2 bridge predeploy, which token deposits call.
    address public constant L2_BRIDGE = 0x000000000000000000000000000000000000ff01;
    /// @notice The L2 sender of the messages this bridge queues itself (token deposits); no L1
    ///         account runs as it.
    address public constant L1_BRIDGE_SENDER = 0x000000000000000000000000000000000000FF04;
    /// @notice L2 gas of a token deposit (enough to create the L2 token on the first one).
    uint64 public constant TOKEN_DEPOSIT_GAS = 1_500_000;
    /// @notice The longest token name or symbol carried to L2, bytes (longer ones are cut).
    uint256 public constant MAX_TOKEN_STRING = 64;
    /// @notice What a contract's L1 address is shifted by to give its L2 sender.
    uint160 public constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice The longest a security council pause lasts, seconds.
    uint256 public immutable maxPause;
    /// @notice The account that may pause deposits and claims (zero: nobody).
    address public securityCouncil;
    /// @notice Whether the security council may pause (spent by a pause, re-armed by the owner).
    bool public pauseArmed;
    /// @notice When the current pause ends by itself (unix seconds; past: not paused).
    uint256 public pausedUntil;
    /// @notice The OnChainProposer: the only account that may consume deposits, and the source
    ///         of verified withdrawals roots. Zero until `setProposer`.
    address public proposer;

    /// @notice Sum of all deposits ever made, in wei.
    uint256 public totalDeposited;
    /// @notice Sum of all withdrawals ever claimed, in wei.
    uint256 public totalClaimed;
    /// @notice Whether a withdrawal leaf has been paid out.
    mapping(bytes32 leaf => bool isClaimed) public claimed;
    /// @notice Tokens held for L2: deposited minus claimed, per L1 token (equal to the L2
    ///         token's supply plus what is withdrawn but not yet claimed).
    mapping(address token => uint256 amount) public escrowed;

    /// @dev The deposit queue: hash and inclusion deadline of deposit `id` at index `id`.
    bytes32[] private depositHashes;
    uint256[] private deadlines;
    /// @dev How many deposits (from the front of the queue) the proposer has consumed.
    uint256 private consumed;

    /// @notice Message `id` entered the queue: on L2, `mint` is credited to `from`, then
    ///         `from` calls `to` with `value`, `gasLimit` and `data` (gas limit 0: a deposit,
    ///         no call; `value` is credited to `to`).
    event MessageQueued(
        uint256 indexed id,
        address indexed from,
        address indexed to,
        address l1Sender,
        uint256 mint,
        uint256 value,
        uint64 gasLimit,
        bytes data,
        uint256 deadline
    );
    /// @notice The proposer consumed `count` deposits; `consumedDeposits` is now `consumedTotal`.
    event DepositsConsumed(uint256 count, uint256 consumedTotal, bytes32 rollingHash);
    /// @notice Reverted batches gave back `count` deposits: they wait in the queue again.
    event DepositsReturned(uint256 count, uint256 consumedTotal);
    /// @notice A withdrawal was paid out to `l1Receiver`.
    event WithdrawalClaimed(bytes32 indexed leaf, uint256 indexed batchNumber, address indexed l1Receiver, uint256 amount);
    /// @notice A token withdrawal was paid out to `l1Receiver`.
    event TokenWithdrawalClaimed(
        bytes32 indexed leaf, address indexed l1Token, address indexed l1Receiver, uint256 batchNumber, uint256 amount
    );
    /// @notice The proposer was set.
    event ProposerSet(address proposer);
    /// @notice The security council changed.
    event SecurityCouncilChanged(address previous, address securityCouncil);
    /// @notice The owner re-armed the security council's pause.
    event PauseRearmed();

    /// @notice Caller is not the deployer.
    error NotDeployer(address caller);
    /// @notice Caller is not the security council.
    error NotSecurityCouncil(address caller);
    /// @notice Caller is neither the owner nor the security council.
    error NotOwnerOrCouncil(address caller);
    /// @notice The security council has paused once already; the owner must re-arm it.
    error PauseNotArmed();
    /// @notice Caller is not the proposer.
    error NotProposer(address caller);
    /// @notice The inclusion period must be positive.
    error ZeroInclusionPeriod();
    /// @notice The proposer cannot be the zero address.
    error ZeroProposer();
    /// @notice The proposer can be set only once.
    error ProposerAlreadySet();
    /// @notice The proposer has not been set yet.
    error ProposerNotSet();
    /// @notice A deposit must carry a positive value.
    error ZeroDeposit();
    /// @notice A deposit must name a nonzero L2 recipient.
    error ZeroRecipient();
    /// @notice An L2 call's gas limit is outside `MIN_MESSAGE_GAS ..= MAX_MESSAGE_GAS`.
    error BadMessageGas(uint64 gasLimit);
    /// @notice An L2 call's calldata is longer than `MAX_MESSAGE_DATA`.
    error MessageTooLong(uint256 length);
    /// @notice `depositId` is not in the queue.
    error UnknownDeposit(uint256 depositId);
    /// @notice The proposer asked for more deposits than are waiting.
    error NotEnoughDeposits(uint256 requested, uint256 available);
    /// @notice The batch leaves out deposit `depositId`, whose deadline has passed.
    error ExpiredDepositSkipped(uint256 depositId, uint256 deadline);
    /// @notice The batch is not verified yet.
    error BatchNotVerified(uint256 batchNumber);
    /// @notice The batch has no withdrawals (its withdrawals root is zero).
    error NoWithdrawals(uint256 batchNumber);
    /// @notice The Merkle proof does not lead to the batch's withdrawals root.
    error BadWithdrawalProof();
    /// @notice The withdrawal was already paid out.
    error AlreadyClaimed(bytes32 leaf);
    /// @notice Sending the ETH to the receiver failed.
    error TransferFailed();

    /// @notice Deploys the bridge; the deployer must then link the proposer (`setProposer`).
    /// @param owner_ The owner (the timelock): replaces the council, lifts and re-arms pauses.
    /// @param securityCouncil_ The account that may pause deposits and claims (zero: nobody).
    /// @param inclusionPeriod_ Seconds (> 0) after which a waiting deposit must be included.
    /// @param maxPause_ The longest a council pause lasts, seconds.
    constructor(address owner_, address securityCouncil_, uint256 inclusionPeriod_, uint256 maxPause_)
        Ownable(owner_)
    {
        if (inclusionPeriod_ == 0) revert ZeroInclusionPeriod();
        deployer = msg.sender;
        inclusionPeriod = inclusionPeriod_;
        maxPause = maxPause_;
        securityCouncil = securityCouncil_;
        pauseArmed = true;
        emit SecurityCouncilChanged(address(0), securityCouncil_);
    }

    /// @notice Sets the OnChainProposer. Only the deployer, and only once.
    /// @param proposer_ The OnChainProposer address.
    function setProposer(address proposer_) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (proposer != address(0)) revert ProposerAlreadySet();
        if (proposer_ == address(0)) revert ZeroProposer();
        proposer = proposer_;
        emit ProposerSet(proposer_);
    }

    /// @notice Pauses deposits and claims at once, for at most `maxPause` seconds. Only the
    ///         security council, and only once until the owner re-arms it.
    function pause() external {
        if (msg.sender != securityCouncil) revert NotSecurityCouncil(msg.sender);
        if (!pauseArmed) revert PauseNotArmed();
        pauseArmed = false;
        // `_pause` first: it reads `paused()`, which must still see the last pause as over.
        _pause();
        pausedUntil = block.timestamp + maxPause;
    }

    /// @notice Lifts the pause before it ends by itself. The owner or the security council.
    function unpause() external {
        if (msg.sender != owner() && msg.sender != securityCouncil) revert NotOwnerOrCouncil(msg.sender);
        _unpause();
        pausedUntil = 0;
    }

    /// @notice Lets the security council pause once more. Only the owner.
    function rearmPause() external onlyOwner {
        pauseArmed = true;
        emit PauseRearmed();
    }

    /// @notice Replaces the security council (zero: none). Only the owner.
    /// @param securityCouncil_ The new council.
    function setSecurityCouncil(address securityCouncil_) external onlyOwner {
        emit SecurityCouncilChanged(securityCouncil, securityCouncil_);
        securityCouncil = securityCouncil_;
    }

    /// @notice Whether deposits and claims are paused: a council pause not yet lifted nor over.
    function paused() public view override returns (bool) {
        return super.paused() && block.timestamp < pausedUntil;
    }

    /// @notice Deposits `msg.value` wei, to be credited to `l2Recipient` on L2.
    /// @param l2Recipient The L2 account to credit (nonzero).
    function deposit(address l2Recipient) external payable whenNotPaused {
        _deposit(l2Recipient);
    }

    /// @notice A plain ETH transfer deposits to the sender's own address on L2.
    receive() external payable whenNotPaused {
        _deposit(msg.sender);
    }

    /// @notice Queues an L2 call from L1, which the sequencer must include in order before its
    ///         deadline: on L2, `msg.value` is credited to the sender's L2 address (aliased for
    ///         a contract), which then calls `to` with `value` (taken from its L2 balance),
    ///         `gasLimit` and `data`, paying no L2 gas. If the call reverts, the minted ETH
    ///         stays with the sender on L2. A call is never refunded.
    /// @param to The L2 account called (nonzero).
    /// @param value Wei sent with the call, from the L2 sender's balance.
    /// @param gasLimit L2 gas for the call, `MIN_MESSAGE_GAS ..= MAX_MESSAGE_GAS`.
    /// @param data The calldata, at most `MAX_MESSAGE_DATA` bytes.
    function sendMessage(address to, uint256 value, uint64 gasLimit, bytes calldata data)
        external
        payable
        whenNotPaused
    {
        if (to == address(0)) revert ZeroRecipient();
        if (gasLimit < MIN_MESSAGE_GAS || gasLimit > MAX_MESSAGE_GAS) revert BadMessageGas(gasLimit);
        if (data.length > MAX_MESSAGE_DATA) revert MessageTooLong(data.length);
        _queue(l2Sender(msg.sender, msg.sender != tx.origin), to, msg.value, value, gasLimit, data);
    }

    /// @notice Deposits `amount` of ERC-20 `l1Token` (approved to this bridge first), to be
    ///         minted as its canonical L2 token (`L2Bridge.l2TokenOf`) to `l2Recipient`. What
    ///         the bridge actually received is what is minted (a fee-on-transfer token mints
    ///         less). Queued as a message like any other: included before its deadline.
    /// @param l1Token The ERC-20 on L1.
    /// @param l2Recipient The L2 account to mint to (nonzero).
    /// @param amount The amount to deposit (positive).
    function depositERC20(address l1Token, address l2Recipient, uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroDeposit();
        if (l2Recipient == address(0)) revert ZeroRecipient();
        uint256 before = IERC20(l1Token).balanceOf(address(this));
        IERC20(l1Token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(l1Token).balanceOf(address(this)) - before;
        if (received == 0) revert ZeroDeposit();
        escrowed[l1Token] += received;
        bytes memory data = abi.encodeWithSignature(
            "finalizeTokenDeposit(address,address,address,uint256,string,string,uint8)",
            l1Token,
            msg.sender,
            l2Recipient,
            received,
            _tokenString(l1Token, IERC20Metadata.name.selector),
            _tokenString(l1Token, IERC20Metadata.symbol.selector),
            _tokenDecimals(l1Token)
        );
        _queue(L1_BRIDGE_SENDER, L2_BRIDGE, 0, 0, TOKEN_DEPOSIT_GAS, data);
    }

    /// @notice The L2 sender of a message from `l1Sender`: itself for an externally owned
    ///         account, `l1Sender + ALIAS_OFFSET` for a contract.
    /// @param l1Sender The L1 caller.
    /// @param isContract Whether it called from a contract (`msg.sender != tx.origin`).
    /// @return The L2 address the message runs as.
    function l2Sender(address l1Sender, bool isContract) public pure returns (address) {
        if (!isContract) return l1Sender;
        unchecked {
            return address(uint160(l1Sender) + ALIAS_OFFSET);
        }
    }

    /// @notice Number of deposits ever made (the queue length, consumed ones included).
    /// @return The queue length; the next deposit gets this id.
    function depositCount() external view returns (uint256) {
        return depositHashes.length;
    }

    /// @notice Number of deposits consumed by committed batches (ids `0 .. consumedDeposits()-1`).
    /// @return The number of consumed deposits.
    function consumedDeposits() external view returns (uint256) {
        return consumed;
    }

    /// @notice The hash of message `id` (see the hash rules above).
    /// @param id The deposit id; reverts with `UnknownDeposit` if it does not exist.
    /// @return keccak256(abi.encode(id, l1Sender, from, to, mint, value, gasLimit, keccak256(data))).
    function depositHash(uint256 id) external view returns (bytes32) {
        if (id >= depositHashes.length) revert UnknownDeposit(id);
        return depositHashes[id];
    }

    /// @notice The inclusion deadline (unix seconds) of deposit `id`.
    /// @param id The deposit id; reverts with `UnknownDeposit` if it does not exist.
    /// @return The deposit's block timestamp plus `inclusionPeriod`.
    function depositDeadline(uint256 id) external view returns (uint256) {
        if (id >= deadlines.length) revert UnknownDeposit(id);
        return deadlines[id];
    }

    /// @notice Consumes the `count` oldest unconsumed deposits and returns their rolling hash.
    ///         Only the proposer. Reverts with `ExpiredDepositSkipped` if the first deposit left
    ///         in the queue afterwards was past its deadline at the batch's L2 time.
    /// @dev The deadline is measured against the batch's last block timestamp, not the commit's
    ///      L1 time: a batch made before a deposit was due never owes it, however late the
    ///      batch is committed (an outage of the sequencer's L1 access cannot brick
    ///      settlement). The proposer checks that timestamp is not in the future and the proof
    ///      binds it to the blocks.
    /// @param count How many deposits the batch includes (may be zero).
    /// @param l2Timestamp The timestamp of the batch's last L2 block.
    /// @return rollingHash The rolling hash of the consumed deposits (zero if `count` is zero).
    function consumeDeposits(uint256 count, uint256 l2Timestamp) external returns (bytes32 rollingHash) {
        if (msg.sender != proposer) revert NotProposer(msg.sender);
        uint256 start = consumed;
        uint256 length = depositHashes.length;
        uint256 available = length - start;
        if (count > available) revert NotEnoughDeposits(count, available);
        uint256 end = start + count;
        for (uint256 i = start; i < end; ++i) {
            rollingHash = keccak256(abi.encodePacked(rollingHash, depositHashes[i]));
        }
        consumed = end;

        // Forced inclusion. Deadlines are block.timestamp + inclusionPeriod with a constant
        // period, so they are non-decreasing in queue order: if the first deposit left out was
        // not expired at the batch's L2 time, none after it was either, and checking it alone
        // suffices.
        if (end < length) {
            uint256 deadline = deadlines[end];
            if (deadline < l2Timestamp) revert ExpiredDepositSkipped(end, deadline);
        }
        emit DepositsConsumed(count, end, rollingHash);
    }

    /// @notice Puts the `count` newest consumed deposits back in the queue: the proposer
    ///         reverted the batches that consumed them. Only the proposer. Deadlines are kept:
    ///         a deposit past its deadline must be in the next batch committed.
    /// @param count How many deposits the reverted batches had consumed.
    function returnDeposits(uint256 count) external {
        if (msg.sender != proposer) revert NotProposer(msg.sender);
        if (count > consumed) revert NotEnoughDeposits(count, consumed);
        consumed -= count;
        emit DepositsReturned(count, consumed);
    }

    /// @notice Pays out an L2 withdrawal from a verified batch. Anyone may call it; the ETH
    ///         always goes to `l1Receiver`, and each withdrawal is paid at most once.
    /// @param batchNumber The verified batch whose withdrawals root contains the withdrawal.
    /// @param l2TxHash The hash of the L2 transaction that withdrew.
    /// @param indexInTx The index of the withdrawal among those of that transaction.
    /// @param l1Receiver The L1 account to pay.
    /// @param amount The amount in wei.
    /// @param leafIndex The leaf's position in the withdrawals tree.
    /// @param proof The sibling hashes from the leaf up to the root.
    function claimWithdrawal(
        uint256 batchNumber,
        bytes32 l2TxHash,
        uint256 indexInTx,
        address l1Receiver,
        uint256 amount,
        uint256 leafIndex,
        bytes32[] calldata proof
    ) external whenNotPaused {
        bytes32 leaf = keccak256(abi.encode(l2TxHash, indexInTx, l1Receiver, amount));
        _checkClaim(batchNumber, leaf, leafIndex, proof);

        // Effects before the interaction.
        claimed[leaf] = true;
        totalClaimed += amount;
        emit WithdrawalClaimed(leaf, batchNumber, l1Receiver, amount);

        (bool ok,) = l1Receiver.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice Pays out an L2 token withdrawal (`L2Bridge.withdrawToken`) from a verified batch.
    ///         Anyone may call it; the tokens always go to `l1Receiver`, once.
    /// @param batchNumber The verified batch whose withdrawals root contains the withdrawal.
    /// @param l2TxHash The hash of the L2 transaction that withdrew.
    /// @param indexInTx The index of the withdrawal among those of that transaction.
    /// @param l1Token The L1 token.
    /// @param l1Receiver The L1 account to pay.
    /// @param amount The amount.
    /// @param leafIndex The leaf's position in the withdrawals tree.
    /// @param proof The sibling hashes from the leaf up to the root.
    function claimTokenWithdrawal(
        uint256 batchNumber,
        bytes32 l2TxHash,
        uint256 indexInTx,
        address l1Token,
        address l1Receiver,
        uint256 amount,
        uint256 leafIndex,
        bytes32[] calldata proof
    ) external whenNotPaused {
        bytes32 leaf = keccak256(abi.encode(l2TxHash, indexInTx, l1Receiver, amount, l1Token));
        _checkClaim(batchNumber, leaf, leafIndex, proof);
        claimed[leaf] = true;
        escrowed[l1Token] -= amount;
        emit TokenWithdrawalClaimed(leaf, l1Token, l1Receiver, batchNumber, amount);
        IERC20(l1Token).safeTransfer(l1Receiver, amount);
    }

    /// @dev Reverts unless `leaf` is in verified batch `batchNumber`'s tree and unpaid.
    function _checkClaim(uint256 batchNumber, bytes32 leaf, uint256 leafIndex, bytes32[] calldata proof)
        private
        view
    {
        address proposer_ = proposer;
        if (proposer_ == address(0)) revert ProposerNotSet();
        if (!IOnChainProposer(proposer_).isVerified(batchNumber)) revert BatchNotVerified(batchNumber);
        bytes32 root = IOnChainProposer(proposer_).withdrawalsRoot(batchNumber);
        if (root == bytes32(0)) revert NoWithdrawals(batchNumber);
        if (!_verifyMerkle(leaf, leafIndex, proof, root)) revert BadWithdrawalProof();
        if (claimed[leaf]) revert AlreadyClaimed(leaf);
    }

    /// @dev `token`'s name or symbol (`selector`), at most `MAX_TOKEN_STRING` bytes; empty if
    ///      the token does not answer one as a string.
    function _tokenString(address token, bytes4 selector) private view returns (string memory) {
        (bool ok, bytes memory out) = token.staticcall(abi.encodeWithSelector(selector));
        if (!ok || out.length < 64) return "";
        (uint256 offset, uint256 length) = abi.decode(out, (uint256, uint256));
        if (offset != 32 || out.length < 64 + length) return "";
        if (length > MAX_TOKEN_STRING) length = MAX_TOKEN_STRING;
        bytes memory text = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            text[i] = out[64 + i];
        }
        return string(text);
    }

    /// @dev `token`'s decimals, or 18 if it does not say.
    function _tokenDecimals(address token) private view returns (uint8) {
        (bool ok, bytes memory out) = token.staticcall(abi.encodeWithSelector(IERC20Metadata.decimals.selector));
        if (!ok || out.length < 32) return 18;
        uint256 decimals = abi.decode(out, (uint256));
        return decimals > type(uint8).max ? 18 : uint8(decimals);
    }

    function _deposit(address l2Recipient) private {
        if (msg.value == 0) revert ZeroDeposit();
        if (l2Recipient == address(0)) revert ZeroRecipient();
        _queue(l2Sender(msg.sender, msg.sender != tx.origin), l2Recipient, msg.value, msg.value, 0, "");
    }

    /// @dev Queues the message `from` → `to` (`mint`, `value`, `gasLimit`, `data`) sent by
    ///      msg.sender.
    function _queue(address from, address to, uint256 mint, uint256 value, uint64 gasLimit, bytes memory data)
        private
    {
        uint256 id = depositHashes.length;
        uint256 deadline = block.timestamp + inclusionPeriod;
        depositHashes.push(
            keccak256(abi.encode(id, msg.sender, from, to, mint, value, uint256(gasLimit), keccak256(data)))
        );
        deadlines.push(deadline);
        totalDeposited += mint;
        emit MessageQueued(id, from, to, msg.sender, mint, value, gasLimit, data, deadline);
    }

    /// @dev Walks `proof` from `leaf` to the root; bit i of `leafIndex` says whether the node is
    ///      the right (1) or left (0) child at level i. `leafIndex` must be < 2**proof.length.
    function _verifyMerkle(bytes32 leaf, uint256 leafIndex, bytes32[] calldata proof, bytes32 root)
        private
        pure
        returns (bool)
    {
        uint256 depth = proof.length;
        if (depth < 256 && (leafIndex >> depth) != 0) return false;
        bytes32 node = leaf;
        for (uint256 i = 0; i < depth; ++i) {
            if ((leafIndex >> i) & 1 == 0) {
                node = keccak256(abi.encodePacked(node, proof[i]));
            } else {
                node = keccak256(abi.encodePacked(proof[i], node));
            }
        }
        return node == root;
    }
}

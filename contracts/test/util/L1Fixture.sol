// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {CommonBridge} from "../../src/l1/CommonBridge.sol";
import {DevVerifier} from "../../src/l1/DevVerifier.sol";
import {IVerifier} from "../../src/l1/IVerifier.sol";
import {OnChainProposer} from "../../src/l1/OnChainProposer.sol";
import {KeelTimelock} from "../../src/l1/governance/KeelTimelock.sol";
import {Test} from "./Test.sol";

/// @notice A verifier double that accepts every proof.
contract AcceptAllVerifier is IVerifier {
    function verify(bytes32, bytes calldata) external pure returns (bool) {
        return true;
    }
}

/// @notice A verifier double that returns false for every proof (instead of reverting).
contract RejectAllVerifier is IVerifier {
    function verify(bytes32, bytes calldata) external pure returns (bool) {
        return false;
    }
}

/// @notice An L1 contract that calls the bridge (its messages run as its aliased address).
contract BridgeCaller {
    function deposit(CommonBridge bridge, address to) external payable {
        bridge.deposit{value: msg.value}(to);
    }

    function sendMessage(CommonBridge bridge, address to, uint256 value, uint64 gasLimit, bytes calldata data)
        external
        payable
    {
        bridge.sendMessage{value: msg.value}(to, value, gasLimit, data);
    }
}

/// @notice A receiver that refuses ETH.
contract RefusingReceiver {
    receive() external payable {
        revert("no thanks");
    }
}

/// @notice The withdrawals tree of CommonBridge: leaf = keccak256(abi.encode(l2TxHash,
///         indexInTx, l1Receiver, amount)), leaves padded with zero to a power of two,
///         parent = keccak256(abi.encodePacked(left, right)).
library WithdrawalTree {
    function leaf(bytes32 l2TxHash, uint256 indexInTx, address l1Receiver, uint256 amount)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(l2TxHash, indexInTx, l1Receiver, amount));
    }

    /// @dev The leaves padded with zero to a power of two (at least one).
    function padded(bytes32[] memory leaves) private pure returns (bytes32[] memory level) {
        uint256 width = 1;
        while (width < leaves.length) width <<= 1;
        level = new bytes32[](width);
        for (uint256 i = 0; i < leaves.length; ++i) level[i] = leaves[i];
    }

    function up(bytes32[] memory level) private pure returns (bytes32[] memory parents) {
        parents = new bytes32[](level.length / 2);
        for (uint256 i = 0; i < parents.length; ++i) {
            parents[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
        }
    }

    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = padded(leaves);
        while (level.length > 1) level = up(level);
        return level[0];
    }

    /// @dev The sibling hashes from leaf `index` up to the root.
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory siblings) {
        bytes32[] memory level = padded(leaves);
        uint256 depth = 0;
        while ((uint256(1) << depth) < level.length) ++depth;
        siblings = new bytes32[](depth);
        for (uint256 d = 0; d < depth; ++d) {
            siblings[d] = level[index ^ 1];
            level = up(level);
            index >>= 1;
        }
    }
}

/// @notice The L1 contracts wired as `keel deploy` wires them: a KeelTimelock (exit window,
///         owner multisig, security council) owns the bridge, the proposer (validium: forge
///         cannot attach blobs) and the DevVerifier; the test contract deploys the bridge and
///         links the proposer.
abstract contract L1Fixture is Test {
    uint256 internal constant EXIT_WINDOW = 7 days;
    uint256 internal constant INCLUSION_PERIOD = 1 days;
    uint256 internal constant MAX_PAUSE = 3 days;
    uint256 internal constant L2_CHAIN_ID = 65_536_999;
    bytes32 internal constant CHAIN_SPEC_HASH = keccak256("keel test chain spec");
    bytes32 internal constant GENESIS_BLOCK_HASH = keccak256("genesis block");
    bytes32 internal constant GENESIS_STATE_ROOT = keccak256("genesis state");
    address internal constant OWNER = address(0x0A11CE);
    address internal constant COUNCIL = address(0xC0C11);
    address internal constant SEQUENCER = address(0x5E9);
    uint256 internal constant PROVER_KEY = 0xC0FFEE;
    uint160 internal constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    KeelTimelock internal timelock;
    CommonBridge internal bridge;
    OnChainProposer internal proposer;
    DevVerifier internal devVerifier;

    uint256 private _salt;

    function deployL1() internal {
        timelock = new KeelTimelock(EXIT_WINDOW, OWNER, COUNCIL);
        bridge = new CommonBridge(address(timelock), COUNCIL, INCLUSION_PERIOD, MAX_PAUSE);
        devVerifier = new DevVerifier(address(timelock), one(vm.addr(PROVER_KEY)));
        proposer = newProposer(address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, one(address(devVerifier)), true);
        bridge.setProposer(address(proposer));
        vm.label(address(timelock), "timelock");
        vm.label(address(bridge), "bridge");
        vm.label(address(proposer), "proposer");
        vm.label(address(devVerifier), "devVerifier");
    }

    /// @dev The one place that knows the OnChainProposer constructor (L2_CHAIN_ID, genesis).
    function newProposer(
        address owner_,
        address sequencer_,
        address bridge_,
        bytes32 chainSpecHash_,
        address[] memory verifiers_,
        bool validium_
    ) internal returns (OnChainProposer) {
        return new OnChainProposer(
            owner_,
            sequencer_,
            bridge_,
            L2_CHAIN_ID,
            chainSpecHash_,
            GENESIS_BLOCK_HASH,
            GENESIS_STATE_ROOT,
            verifiers_,
            validium_
        );
    }

    function one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    function two(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        list[0] = a;
        list[1] = b;
    }

    // --- messages ----------------------------------------------------------------------------

    function messageHash(
        uint256 id,
        address l1Sender,
        address from,
        address to,
        uint256 mint,
        uint256 value,
        uint64 gasLimit,
        bytes memory data
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, l1Sender, from, to, mint, value, uint256(gasLimit), keccak256(data)));
    }

    function aliased(address l1Sender) internal pure returns (address) {
        unchecked {
            return address(uint160(l1Sender) + ALIAS_OFFSET);
        }
    }

    /// @dev A deposit from the externally owned account `sender` (msg.sender == tx.origin).
    function depositFrom(address sender, address to, uint256 amount) internal {
        vm.deal(sender, sender.balance + amount);
        vm.prank(sender, sender);
        bridge.deposit{value: amount}(to);
    }

    /// @dev The bridge's rolling hash of queue entries `start .. start + count - 1`.
    function rollingHash(uint256 start, uint256 count) internal view returns (bytes32 rolling) {
        for (uint256 i = start; i < start + count; ++i) {
            rolling = keccak256(abi.encodePacked(rolling, bridge.depositHash(i)));
        }
    }

    // --- batches -----------------------------------------------------------------------------

    function lastBlockOf(uint256 batchNumber) internal view returns (uint64 lastBlock) {
        (, lastBlock,,,,,,,,) = proposer.batches(batchNumber);
    }

    function headerFor(uint256 lastBlock, bytes32 withdrawalsRoot, uint256 depositCount)
        internal
        view
        returns (OnChainProposer.BatchHeader memory)
    {
        return OnChainProposer.BatchHeader({
            lastBlock: lastBlock,
            newStateRoot: keccak256(abi.encode("state", lastBlock)),
            lastBlockHash: keccak256(abi.encode("block", lastBlock)),
            lastBlockTimestamp: block.timestamp,
            withdrawalsRoot: withdrawalsRoot,
            depositsRollingHash: rollingHash(bridge.consumedDeposits(), depositCount),
            depositCount: depositCount
        });
    }

    /// @dev Commits the next batch (ten blocks) with `withdrawalsRoot`, including `depositCount`
    ///      queued messages.
    function commitNext(bytes32 withdrawalsRoot, uint256 depositCount) internal returns (uint256 batchNumber) {
        batchNumber = proposer.lastCommittedBatch() + 1;
        OnChainProposer.BatchHeader memory h =
            headerFor(lastBlockOf(batchNumber - 1) + 10, withdrawalsRoot, depositCount);
        vm.prank(SEQUENCER);
        proposer.commitBatch(batchNumber, h, new OnChainProposer.BlobOpening[](0));
    }

    /// @dev The DevVerifier proof of `commitment` by `key`.
    function devProof(uint256 key, bytes32 commitment) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(key, keccak256(abi.encode(keccak256("keel.dev-verifier.v1"), commitment)));
        return abi.encodePacked(r, s, v);
    }

    function oneProof(bytes memory proof) internal pure returns (bytes[] memory proofs) {
        proofs = new bytes[](1);
        proofs[0] = proof;
    }

    /// @dev Verifies the next committed batch with the registered prover's signature.
    function verifyNext() internal returns (uint256 batchNumber) {
        batchNumber = proposer.lastVerifiedBatch() + 1;
        proposer.verifyBatch(batchNumber, oneProof(devProof(PROVER_KEY, proposer.commitmentOf(batchNumber))));
    }

    // --- governance --------------------------------------------------------------------------

    /// @dev Schedules `target.call(data)` on the timelock as the owner, waits the exit window
    ///      and executes it (as anyone).
    function viaTimelock(address target, bytes memory data) internal {
        bytes32 salt = bytes32(++_salt);
        vm.prank(OWNER);
        timelock.schedule(target, 0, data, bytes32(0), salt, EXIT_WINDOW);
        vm.warp(block.timestamp + EXIT_WINDOW);
        timelock.execute(target, 0, data, bytes32(0), salt);
    }
}

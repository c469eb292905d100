// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {CommonBridge} from "../src/l1/CommonBridge.sol";
import {BridgeCaller, L1Fixture, RefusingReceiver, WithdrawalTree} from "./util/L1Fixture.sol";

/// @notice CommonBridge: the message queue (hashes, aliasing, bounds, deadlines, forced
///         inclusion), withdrawal claims against verified batches, and the council's pause.
contract CommonBridgeTest is L1Fixture {
    /// @dev The Rust side's pinned message (runtime/primitives): id 7, the anvil account #0
    ///      depositing 1 ether to anvil account #1.
    address internal constant RUST_SENDER = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    address internal constant RUST_TO = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
    bytes32 internal constant RUST_HASH = 0x8d3ce5a77c73fa1d48a48aadd4e4e0769decf1b684afe6a940cfe43ca6bc6132;

    function setUp() public {
        deployL1();
    }

    // --- helpers -----------------------------------------------------------------------------

    /// @dev An EOA sender the fuzzer may pick: not one of the deployed contracts (dealing to the
    ///      bridge would move its balance) nor the cheatcode address.
    /// A sender with a key: not a deployed contract of the test, and not address zero (no key
    /// signs for it; a deposit to it is refused as a zero recipient).
    function assumeEoa(address sender) internal view {
        vm.assume(
            sender != address(0) && sender != address(bridge) && sender != address(vm) && sender != address(proposer)
                && sender != address(timelock) && sender != address(devVerifier) && sender != address(this)
        );
    }

    function expectQueued(
        uint256 id,
        address l1Sender,
        address from,
        address to,
        uint256 mint,
        uint256 value,
        uint64 gasLimit,
        bytes memory data
    ) internal {
        vm.expectEmit(true, true, true, true, address(bridge));
        emit CommonBridge.MessageQueued(
            id, from, to, l1Sender, mint, value, gasLimit, data, block.timestamp + INCLUSION_PERIOD
        );
    }

    /// @dev Deposits `total` wei from an EOA so that the bridge can pay withdrawals.
    function fund(uint256 total) internal {
        depositFrom(address(0xF00D), address(0xF00D), total);
    }

    function sendMessageFrom(address sender, address to, uint256 mint, uint256 value, uint64 gasLimit, bytes memory data)
        internal
    {
        vm.deal(sender, sender.balance + mint);
        vm.prank(sender, sender);
        bridge.sendMessage{value: mint}(to, value, gasLimit, data);
    }

    // --- message hashes ----------------------------------------------------------------------

    /// @dev The vector pinned on the Rust side (the node computes the same hash).
    function test_messageHash_matchesRustVector() public {
        bytes32 expected = keccak256(
            abi.encode(
                uint256(7), RUST_SENDER, RUST_SENDER, RUST_TO, uint256(1e18), uint256(1e18), uint256(0), keccak256("")
            )
        );
        assertEq(expected, RUST_HASH, "abi.encode of the Rust vector");
        assertEq(messageHash(7, RUST_SENDER, RUST_SENDER, RUST_TO, 1e18, 1e18, 0, ""), RUST_HASH, "helper");

        // The bridge's own hash of that deposit, as message id 7.
        for (uint256 i = 0; i < 7; ++i) {
            depositFrom(address(0xBEEF), address(0xBEEF), 1);
        }
        depositFrom(RUST_SENDER, RUST_TO, 1e18);
        assertEq(bridge.depositHash(7), RUST_HASH, "bridge hash of message 7");
    }

    function testFuzz_deposit_queuesMessageHash(address sender, address to, uint256 amount, uint8 before) public {
        assumeEoa(sender);
        vm.assume(to != address(0));
        amount = bound(amount, 1, 1e30);
        uint256 prior = bound(before, 0, 3);
        for (uint256 i = 0; i < prior; ++i) {
            depositFrom(address(0xBEEF), address(0xBEEF), 1 ether);
        }
        uint256 id = bridge.depositCount();
        uint256 depositedBefore = bridge.totalDeposited();
        uint256 balanceBefore = address(bridge).balance;

        vm.deal(sender, amount);
        expectQueued(id, sender, sender, to, amount, amount, 0, "");
        vm.prank(sender, sender);
        bridge.deposit{value: amount}(to);

        assertEq(bridge.depositCount(), id + 1, "depositCount");
        assertEq(bridge.depositHash(id), messageHash(id, sender, sender, to, amount, amount, 0, ""), "hash");
        assertEq(bridge.depositDeadline(id), block.timestamp + INCLUSION_PERIOD, "deadline");
        assertEq(bridge.totalDeposited(), depositedBefore + amount, "totalDeposited");
        assertEq(address(bridge).balance, balanceBefore + amount, "balance");
    }

    function testFuzz_receive_depositsToTheSender(address sender, uint256 amount) public {
        assumeEoa(sender);
        amount = bound(amount, 1, 1e30);
        vm.deal(sender, amount);
        expectQueued(0, sender, sender, sender, amount, amount, 0, "");
        vm.prank(sender, sender);
        (bool ok,) = address(bridge).call{value: amount}("");
        assertTrue(ok, "plain transfer refused");
        assertEq(bridge.depositHash(0), messageHash(0, sender, sender, sender, amount, amount, 0, ""), "hash");
        assertEq(bridge.totalDeposited(), amount, "totalDeposited");
    }

    function testFuzz_sendMessage_queuesMessageHash(
        address sender,
        address to,
        uint256 mint,
        uint256 value,
        uint64 gasLimit,
        bytes memory data
    ) public {
        assumeEoa(sender);
        vm.assume(to != address(0));
        vm.assume(data.length <= 16_384);
        mint = bound(mint, 0, 1e30);
        gasLimit = uint64(bound(gasLimit, 21_000, 2_000_000));
        vm.deal(sender, mint);

        expectQueued(0, sender, sender, to, mint, value, gasLimit, data);
        vm.prank(sender, sender);
        bridge.sendMessage{value: mint}(to, value, gasLimit, data);

        assertEq(bridge.depositHash(0), messageHash(0, sender, sender, to, mint, value, gasLimit, data), "hash");
        assertEq(bridge.totalDeposited(), mint, "totalDeposited counts the minted value only");
        assertEq(address(bridge).balance, mint, "balance");
    }

    // --- aliasing ----------------------------------------------------------------------------

    function testFuzz_l2Sender_aliasesContractsModulo2To160(address l1Sender) public view {
        uint256 expected = (uint256(uint160(l1Sender)) + uint256(ALIAS_OFFSET)) % (uint256(1) << 160);
        assertEq(bridge.l2Sender(l1Sender, true), address(uint160(expected)), "contract");
        assertEq(bridge.l2Sender(l1Sender, false), l1Sender, "EOA");
        assertEq(uint256(bridge.ALIAS_OFFSET()), uint256(ALIAS_OFFSET), "ALIAS_OFFSET");
    }

    /// @dev msg.sender != tx.origin: the message runs as the aliased sender, deposit or call.
    function testFuzz_contractCaller_runsAsAliasedSender(
        address sender,
        address origin,
        address to,
        uint256 mint,
        uint256 value,
        uint64 gasLimit,
        bytes memory data
    ) public {
        assumeEoa(sender);
        vm.assume(sender != origin && to != address(0) && data.length <= 16_384);
        mint = bound(mint, 1, 1e30);
        gasLimit = uint64(bound(gasLimit, 21_000, 2_000_000));
        address from = address(uint160((uint256(uint160(sender)) + uint256(ALIAS_OFFSET)) % (uint256(1) << 160)));
        vm.deal(sender, 2 * mint);

        expectQueued(0, sender, from, to, mint, mint, 0, "");
        vm.prank(sender, origin);
        bridge.deposit{value: mint}(to);
        assertEq(bridge.depositHash(0), messageHash(0, sender, from, to, mint, mint, 0, ""), "deposit hash");

        expectQueued(1, sender, from, to, mint, value, gasLimit, data);
        vm.prank(sender, origin);
        bridge.sendMessage{value: mint}(to, value, gasLimit, data);
        assertEq(bridge.depositHash(1), messageHash(1, sender, from, to, mint, value, gasLimit, data), "call hash");
    }

    /// @dev Senders near 2**160 wrap around to low addresses.
    function test_alias_wrapsAround() public {
        address top = address(type(uint160).max);
        assertEq(aliased(top), address(uint160(ALIAS_OFFSET) - 1), "max address");
        address wrapsToZero = address(uint160(type(uint160).max - ALIAS_OFFSET + 1));
        assertEq(bridge.l2Sender(wrapsToZero, true), address(0), "wraps to zero");
        assertEq(bridge.l2Sender(address(0), true), address(ALIAS_OFFSET), "zero");

        vm.deal(top, 1 ether);
        vm.prank(top, address(0xE0A));
        bridge.sendMessage{value: 1 ether}(address(0xCA11), 0, 21_000, hex"01");
        assertEq(
            bridge.depositHash(0),
            messageHash(0, top, address(uint160(0x1111000000000000000000000000000000001110)), address(0xCA11), 1 ether, 0, 21_000, hex"01"),
            "wrapped sender in the hash"
        );
    }

    /// @dev A real contract on L1 (here the caller's tx.origin is forge's default sender).
    function test_alias_realContractCaller() public {
        BridgeCaller caller = new BridgeCaller();
        caller.deposit{value: 2 ether}(bridge, address(0xB0B));
        caller.sendMessage{value: 1 ether}(bridge, address(0xCA11), 5, 50_000, hex"c0ffee");
        address from = aliased(address(caller));
        assertEq(bridge.depositHash(0), messageHash(0, address(caller), from, address(0xB0B), 2 ether, 2 ether, 0, ""));
        assertEq(
            bridge.depositHash(1), messageHash(1, address(caller), from, address(0xCA11), 1 ether, 5, 50_000, hex"c0ffee")
        );
    }

    // --- sendMessage bounds ------------------------------------------------------------------

    function testFuzz_sendMessage_gasBelowMinimumReverts(uint64 gasLimit) public {
        gasLimit = uint64(bound(gasLimit, 0, 20_999));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.BadMessageGas.selector, gasLimit));
        bridge.sendMessage(address(0xCA11), 0, gasLimit, "");
    }

    function testFuzz_sendMessage_gasAboveMaximumReverts(uint64 gasLimit) public {
        gasLimit = uint64(bound(gasLimit, 2_000_001, type(uint64).max));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.BadMessageGas.selector, gasLimit));
        bridge.sendMessage(address(0xCA11), 0, gasLimit, "");
    }

    function test_sendMessage_gasBoundsAreInclusive() public {
        assertEq(uint256(bridge.MIN_MESSAGE_GAS()), 21_000);
        assertEq(uint256(bridge.MAX_MESSAGE_GAS()), 2_000_000);
        bridge.sendMessage(address(0xCA11), 0, 21_000, "");
        bridge.sendMessage(address(0xCA11), 0, 2_000_000, "");
        assertEq(bridge.depositCount(), 2);
    }

    function testFuzz_sendMessage_dataTooLongReverts(uint256 length) public {
        length = bound(length, 16_385, 20_000);
        bytes memory data = new bytes(length);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.MessageTooLong.selector, length));
        bridge.sendMessage(address(0xCA11), 0, 21_000, data);
    }

    function test_sendMessage_dataAtTheLimitIsAccepted() public {
        assertEq(bridge.MAX_MESSAGE_DATA(), 16_384);
        bytes memory data = new bytes(16_384);
        data[16_383] = 0x01;
        bridge.sendMessage(address(0xCA11), 0, 21_000, data);
        assertEq(
            bridge.depositHash(0),
            messageHash(0, address(this), aliased(address(this)), address(0xCA11), 0, 0, 21_000, data)
        );
    }

    function test_sendMessage_zeroRecipientReverts() public {
        vm.expectRevert(CommonBridge.ZeroRecipient.selector);
        bridge.sendMessage(address(0), 0, 21_000, "");
    }

    function test_deposit_zeroValueOrRecipientReverts() public {
        vm.expectRevert(CommonBridge.ZeroDeposit.selector);
        bridge.deposit(address(0xB0B));
        vm.expectRevert(CommonBridge.ZeroRecipient.selector);
        bridge.deposit{value: 1}(address(0));
        (bool ok, bytes memory reason) = address(bridge).call("");
        assertFalse(ok, "empty plain transfer accepted");
        assertEq(reason, abi.encodeWithSelector(CommonBridge.ZeroDeposit.selector), "reason");
        assertEq(bridge.depositCount(), 0);
    }

    // --- deadlines ---------------------------------------------------------------------------

    function testFuzz_deadline_isTimestampPlusInclusionPeriod(uint256 t0, uint256 dt) public {
        t0 = bound(t0, 1, 1e12);
        dt = bound(dt, 0, 1e9);
        vm.warp(t0);
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        vm.warp(t0 + dt);
        sendMessageFrom(address(0xA11CE), address(0xB0B), 0, 0, 21_000, "");
        assertEq(bridge.inclusionPeriod(), INCLUSION_PERIOD);
        assertEq(bridge.depositDeadline(0), t0 + INCLUSION_PERIOD, "deadline 0");
        assertEq(bridge.depositDeadline(1), t0 + dt + INCLUSION_PERIOD, "deadline 1");
    }

    function testFuzz_unknownIdReverts(uint256 id) public {
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        id = bound(id, 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.UnknownDeposit.selector, id));
        bridge.depositHash(id);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.UnknownDeposit.selector, id));
        bridge.depositDeadline(id);
    }

    // --- consumeDeposits ---------------------------------------------------------------------

    function testFuzz_consumeDeposits_onlyTheProposer(address caller) public {
        vm.assume(caller != address(proposer));
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotProposer.selector, caller));
        bridge.consumeDeposits(1, block.timestamp);
    }

    function testFuzz_consumeDeposits_rollingHash(uint8 queued, uint8 first, uint8 second) public {
        uint256 n = bound(queued, 0, 8);
        for (uint256 i = 0; i < n; ++i) {
            if (i % 2 == 0) depositFrom(address(uint160(0xA000 + i)), address(0xB0B), i + 1);
            else sendMessageFrom(address(uint160(0xA000 + i)), address(0xCA11), i, 7, 30_000, abi.encode(i));
        }
        uint256 a = bound(first, 0, n);
        uint256 b = bound(second, 0, n - a);

        bytes32 expected;
        for (uint256 i = 0; i < a; ++i) {
            expected = keccak256(abi.encodePacked(expected, bridge.depositHash(i)));
        }
        vm.expectEmit(true, true, true, true, address(bridge));
        emit CommonBridge.DepositsConsumed(a, a, expected);
        vm.prank(address(proposer));
        assertEq(bridge.consumeDeposits(a, block.timestamp), expected, "first rolling hash");
        assertEq(bridge.consumedDeposits(), a, "consumed after first");

        // The rolling hash restarts from zero for every batch.
        expected = bytes32(0);
        for (uint256 i = a; i < a + b; ++i) {
            expected = keccak256(abi.encodePacked(expected, bridge.depositHash(i)));
        }
        vm.prank(address(proposer));
        assertEq(bridge.consumeDeposits(b, block.timestamp), expected, "second rolling hash");
        assertEq(bridge.consumedDeposits(), a + b, "consumed after second");
        if (b == 0) assertEq(expected, bytes32(0), "zero count, zero hash");
    }

    function testFuzz_consumeDeposits_notEnoughReverts(uint8 queued, uint256 count) public {
        uint256 n = bound(queued, 0, 4);
        for (uint256 i = 0; i < n; ++i) {
            depositFrom(address(0xA11CE), address(0xB0B), 1);
        }
        count = bound(count, n + 1, type(uint256).max);
        vm.prank(address(proposer));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotEnoughDeposits.selector, count, n));
        bridge.consumeDeposits(count, block.timestamp);
    }

    function test_consumeDeposits_expiredDepositSkipped() public {
        uint256 t0 = 1_000_000;
        vm.warp(t0);
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether); // deadline t0 + P
        vm.warp(t0 + 1 hours);
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether); // deadline t0 + 1h + P

        // At its deadline a message may still wait.
        vm.warp(t0 + INCLUSION_PERIOD);
        vm.prank(address(proposer));
        bridge.consumeDeposits(0, block.timestamp);

        // One second later, a batch that leaves it out is refused.
        vm.warp(t0 + INCLUSION_PERIOD + 1);
        vm.prank(address(proposer));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, 0, t0 + INCLUSION_PERIOD));
        bridge.consumeDeposits(0, block.timestamp);

        // Including it is enough while the next one is not expired.
        vm.prank(address(proposer));
        bridge.consumeDeposits(1, block.timestamp);

        vm.warp(t0 + 1 hours + INCLUSION_PERIOD + 1);
        vm.prank(address(proposer));
        vm.expectRevert(
            abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, 1, t0 + 1 hours + INCLUSION_PERIOD)
        );
        bridge.consumeDeposits(0, block.timestamp);
        vm.prank(address(proposer));
        bridge.consumeDeposits(1, block.timestamp);
        assertEq(bridge.consumedDeposits(), 2);
    }

    /// @dev The deadline is measured in L2 time: a batch whose blocks were made before a
    ///      message was due may leave it out however late it reaches L1 (an outage of the
    ///      sequencer's L1 access must never make its backlog uncommittable).
    function testFuzz_consumeDeposits_deadlineInL2Time(uint256 lateness, uint256 l2Time) public {
        uint256 t0 = 1_000_000;
        vm.warp(t0);
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether); // deadline t0 + P
        lateness = bound(lateness, 0, 365 days);
        vm.warp(t0 + INCLUSION_PERIOD + lateness);
        l2Time = bound(l2Time, t0, block.timestamp);
        vm.prank(address(proposer));
        if (l2Time > t0 + INCLUSION_PERIOD) {
            vm.expectRevert(
                abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, 0, t0 + INCLUSION_PERIOD)
            );
            bridge.consumeDeposits(0, l2Time);
        } else {
            bridge.consumeDeposits(0, l2Time);
            assertEq(bridge.consumedDeposits(), 0);
        }
        // Whatever the batch's time, including the message is always possible.
        vm.prank(address(proposer));
        bridge.consumeDeposits(1, l2Time);
        assertEq(bridge.consumedDeposits(), 1);
    }

    /// @dev A batch may leave out any suffix of the queue whose first message is not expired.
    function testFuzz_consumeDeposits_forcedInclusion(uint8 queued, uint8 count, uint256 elapsed) public {
        uint256 n = bound(queued, 1, 6);
        vm.warp(1_000_000);
        for (uint256 i = 0; i < n; ++i) {
            depositFrom(address(0xA11CE), address(0xB0B), 1);
            vm.warp(block.timestamp + 1 hours);
        }
        uint256 c = bound(count, 0, n);
        elapsed = bound(elapsed, 0, 2 * INCLUSION_PERIOD);
        vm.warp(1_000_000 + elapsed);
        uint256 deadline = c < n ? bridge.depositDeadline(c) : type(uint256).max;
        bool expired = deadline < block.timestamp;
        vm.prank(address(proposer));
        if (expired) {
            vm.expectRevert(abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, c, deadline));
            bridge.consumeDeposits(c, block.timestamp);
            assertEq(bridge.consumedDeposits(), 0, "refused batch consumed nothing");
        } else {
            bridge.consumeDeposits(c, block.timestamp);
            assertEq(bridge.consumedDeposits(), c, "consumed");
        }
    }

    // --- returnDeposits ----------------------------------------------------------------------

    function testFuzz_returnDeposits_onlyTheProposer(address caller) public {
        vm.assume(caller != address(proposer));
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        vm.prank(address(proposer));
        bridge.consumeDeposits(1, block.timestamp);

        // Neither the council nor the owner rewinds the queue itself: only a proposer revert.
        address[3] memory others = [COUNCIL, address(timelock), caller];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.prank(others[i]);
            vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotProposer.selector, others[i]));
            bridge.returnDeposits(1);
        }
        assertEq(bridge.consumedDeposits(), 1, "still consumed");
    }

    /// @dev The `r` newest consumed messages go back to the front of what is left, and the next
    ///      consumption takes them again in order, with the same rolling hash.
    function testFuzz_returnDeposits_requeuesTheNewestConsumed(uint8 queued, uint8 consumedSeed, uint8 returnedSeed)
        public
    {
        uint256 n = bound(queued, 0, 8);
        for (uint256 i = 0; i < n; ++i) {
            if (i % 2 == 0) depositFrom(address(uint160(0xA000 + i)), address(0xB0B), i + 1);
            else sendMessageFrom(address(uint160(0xA000 + i)), address(0xCA11), i, 7, 30_000, abi.encode(i));
        }
        uint256 a = bound(consumedSeed, 0, n);
        uint256 r = bound(returnedSeed, 0, a);
        vm.prank(address(proposer));
        bridge.consumeDeposits(a, block.timestamp);

        vm.expectEmit(true, true, true, true, address(bridge));
        emit CommonBridge.DepositsReturned(r, a - r);
        vm.prank(address(proposer));
        bridge.returnDeposits(r);
        assertEq(bridge.consumedDeposits(), a - r, "consumed after the return");
        assertEq(bridge.depositCount(), n, "the queue is unchanged");
        for (uint256 i = 0; i < n; ++i) {
            assertEq(bridge.depositDeadline(i), block.timestamp + INCLUSION_PERIOD, "deadline unchanged");
        }

        bytes32 expected;
        for (uint256 i = a - r; i < n; ++i) {
            expected = keccak256(abi.encodePacked(expected, bridge.depositHash(i)));
        }
        vm.prank(address(proposer));
        assertEq(bridge.consumeDeposits(n - (a - r), block.timestamp), expected, "rolling hash from the returned");
        assertEq(bridge.consumedDeposits(), n, "all consumed");
    }

    function testFuzz_returnDeposits_moreThanConsumedReverts(uint8 queued, uint8 consumedSeed, uint256 count) public {
        uint256 n = bound(queued, 0, 4);
        for (uint256 i = 0; i < n; ++i) {
            depositFrom(address(0xA11CE), address(0xB0B), 1);
        }
        uint256 a = bound(consumedSeed, 0, n);
        vm.prank(address(proposer));
        bridge.consumeDeposits(a, block.timestamp);
        count = bound(count, a + 1, type(uint256).max);
        vm.prank(address(proposer));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotEnoughDeposits.selector, count, a));
        bridge.returnDeposits(count);
        assertEq(bridge.consumedDeposits(), a, "unchanged");
    }

    /// @dev A returned message keeps its deadline: once past it, the next batch must include it.
    function test_returnDeposits_keepsDeadlines() public {
        uint256 t0 = block.timestamp;
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        vm.prank(address(proposer));
        bridge.consumeDeposits(1, block.timestamp);
        vm.warp(t0 + INCLUSION_PERIOD + 1);
        vm.prank(address(proposer));
        bridge.returnDeposits(1);
        vm.prank(address(proposer));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, 0, t0 + INCLUSION_PERIOD));
        bridge.consumeDeposits(0, block.timestamp);
        vm.prank(address(proposer));
        bridge.consumeDeposits(1, block.timestamp);
        assertEq(bridge.consumedDeposits(), 1);
    }

    // --- setProposer -------------------------------------------------------------------------

    function test_setProposer_onlyTheDeployerOnce() public {
        CommonBridge b = new CommonBridge(address(timelock), COUNCIL, INCLUSION_PERIOD, MAX_PAUSE);
        assertEq(b.deployer(), address(this));
        assertEq(b.owner(), address(timelock));

        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotDeployer.selector, OWNER));
        b.setProposer(address(proposer));
        vm.prank(address(timelock));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotDeployer.selector, address(timelock)));
        b.setProposer(address(proposer));

        vm.expectRevert(CommonBridge.ZeroProposer.selector);
        b.setProposer(address(0));

        // Claims need the proposer.
        vm.expectRevert(CommonBridge.ProposerNotSet.selector);
        b.claimWithdrawal(1, bytes32(0), 0, address(1), 1, 0, new bytes32[](0));

        b.setProposer(address(proposer));
        assertEq(b.proposer(), address(proposer));
        vm.expectRevert(CommonBridge.ProposerAlreadySet.selector);
        b.setProposer(address(0xDEAD));
    }

    function test_constructor_zeroInclusionPeriodReverts() public {
        vm.expectRevert(CommonBridge.ZeroInclusionPeriod.selector);
        new CommonBridge(address(timelock), COUNCIL, 0, MAX_PAUSE);
    }

    // --- claims ------------------------------------------------------------------------------

    function test_claim_paysEachWithdrawalExactlyOnce() public {
        fund(10 ether);
        address[3] memory receivers = [address(0xAAA1), address(0xAAA2), address(0xAAA3)];
        uint256[3] memory amounts = [uint256(1 ether), 2 ether, 3 ether];
        bytes32[] memory leaves = new bytes32[](3);
        for (uint256 i = 0; i < 3; ++i) {
            leaves[i] = WithdrawalTree.leaf(keccak256(abi.encode("tx", i)), i, receivers[i], amounts[i]);
        }
        bytes32 root = WithdrawalTree.root(leaves);
        uint256 batch = commitNext(root, 1);

        // Committed, not verified.
        bytes32[] memory p0 = WithdrawalTree.proof(leaves, 0);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.BatchNotVerified.selector, batch));
        bridge.claimWithdrawal(batch, keccak256(abi.encode("tx", 0)), 0, receivers[0], amounts[0], 0, p0);

        verifyNext();
        for (uint256 i = 0; i < 3; ++i) {
            bytes32[] memory proof = WithdrawalTree.proof(leaves, i);
            bytes32 txHash = keccak256(abi.encode("tx", i));
            vm.expectEmit(true, true, true, true, address(bridge));
            emit CommonBridge.WithdrawalClaimed(leaves[i], batch, receivers[i], amounts[i]);
            vm.prank(address(uint160(0x5000 + i))); // anyone may claim; the receiver is paid
            bridge.claimWithdrawal(batch, txHash, i, receivers[i], amounts[i], i, proof);
            assertEq(receivers[i].balance, amounts[i], "receiver paid");
            assertTrue(bridge.claimed(leaves[i]), "claimed");

            vm.expectRevert(abi.encodeWithSelector(CommonBridge.AlreadyClaimed.selector, leaves[i]));
            bridge.claimWithdrawal(batch, txHash, i, receivers[i], amounts[i], i, proof);
            assertEq(receivers[i].balance, amounts[i], "receiver paid once");
        }
        assertEq(bridge.totalClaimed(), 6 ether, "totalClaimed");
        assertEq(address(bridge).balance, 4 ether, "bridge balance");
        assertEq(address(bridge).balance, bridge.totalDeposited() - bridge.totalClaimed(), "books");
    }

    /// @dev One withdrawal of a test tree.
    struct Withdrawal {
        bytes32 txHash;
        uint256 indexInTx;
        address receiver;
        uint256 amount;
    }

    function claim(uint256 batch, Withdrawal memory w, uint256 leafIndex, bytes32[] memory proof) internal {
        bridge.claimWithdrawal(batch, w.txHash, w.indexInTx, w.receiver, w.amount, leafIndex, proof);
    }

    function expectBadProof(uint256 batch, Withdrawal memory w, uint256 leafIndex, bytes32[] memory proof) internal {
        vm.expectRevert(CommonBridge.BadWithdrawalProof.selector);
        claim(batch, w, leafIndex, proof);
    }

    function testFuzz_claim_anyLeafOfAnyTree(uint8 count, uint256 seed, uint256 index) public {
        uint256 n = bound(count, 1, 9);
        uint256 i = bound(index, 0, n - 1);
        bytes32[] memory leaves = new bytes32[](n);
        Withdrawal memory w;
        uint256 total;
        for (uint256 k = 0; k < n; ++k) {
            Withdrawal memory wk = Withdrawal({
                txHash: keccak256(abi.encode(seed, k)),
                indexInTx: k,
                receiver: address(uint160(uint256(keccak256(abi.encode("receiver", seed, k))))),
                amount: bound(uint256(keccak256(abi.encode("amount", seed, k))), 1, 5 ether)
            });
            total += wk.amount;
            leaves[k] = WithdrawalTree.leaf(wk.txHash, wk.indexInTx, wk.receiver, wk.amount);
            if (k == i) w = wk;
        }
        vm.assume(w.receiver.code.length == 0 && uint160(w.receiver) > 0x10000);
        fund(total);
        uint256 batch = commitNext(WithdrawalTree.root(leaves), 1);
        verifyNext();

        bytes32[] memory proof = WithdrawalTree.proof(leaves, i);
        uint256 width = uint256(1) << proof.length;

        // Wrong position: every other index, and the right one beyond the tree's width.
        for (uint256 j = 0; j < width; ++j) {
            if (j != i) expectBadProof(batch, w, j, proof);
        }
        expectBadProof(batch, w, i + width, proof);
        // Wrong sibling.
        if (proof.length > 0) {
            bytes32[] memory bad = WithdrawalTree.proof(leaves, i);
            uint256 level = seed % proof.length;
            bad[level] = bytes32(uint256(bad[level]) ^ 1);
            expectBadProof(batch, w, i, bad);
        }
        // Wrong fields.
        w.amount += 1;
        expectBadProof(batch, w, i, proof);
        w.amount -= 1;
        w.indexInTx += 1;
        expectBadProof(batch, w, i, proof);
        w.indexInTx -= 1;
        address receiver = w.receiver;
        w.receiver = address(0xBAD);
        expectBadProof(batch, w, i, proof);
        w.receiver = receiver;

        uint256 before = receiver.balance;
        claim(batch, w, i, proof);
        assertEq(receiver.balance, before + w.amount, "paid");
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.AlreadyClaimed.selector, leaves[i]));
        claim(batch, w, i, proof);
        assertEq(receiver.balance, before + w.amount, "paid once");
        assertEq(bridge.totalClaimed(), w.amount, "totalClaimed");
    }

    function test_claim_singleLeafTreeHasEmptyProof() public {
        fund(1 ether);
        bytes32 leaf = WithdrawalTree.leaf(keccak256("tx"), 0, address(0xAAA1), 1 ether);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        assertEq(WithdrawalTree.root(leaves), leaf, "a one-leaf tree's root is the leaf");
        uint256 batch = commitNext(leaf, 1);
        verifyNext();
        vm.expectRevert(CommonBridge.BadWithdrawalProof.selector);
        bridge.claimWithdrawal(batch, keccak256("tx"), 0, address(0xAAA1), 1 ether, 1, new bytes32[](0));
        bridge.claimWithdrawal(batch, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, new bytes32[](0));
        assertEq(address(0xAAA1).balance, 1 ether);
    }

    function test_claim_unverifiedOrEmptyBatchesRefused() public {
        fund(1 ether);
        bytes32 leaf = WithdrawalTree.leaf(keccak256("tx"), 0, address(0xAAA1), 1 ether);
        bytes32[] memory none = new bytes32[](0);

        // Genesis is verified but has no withdrawals.
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NoWithdrawals.selector, 0));
        bridge.claimWithdrawal(0, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);
        // Not committed.
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.BatchNotVerified.selector, 1));
        bridge.claimWithdrawal(1, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);

        commitNext(bytes32(0), 1); // batch 1: no withdrawals
        commitNext(leaf, 0); // batch 2
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.BatchNotVerified.selector, 2));
        bridge.claimWithdrawal(2, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);
        verifyNext();
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NoWithdrawals.selector, 1));
        bridge.claimWithdrawal(1, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.BatchNotVerified.selector, 2));
        bridge.claimWithdrawal(2, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);
        verifyNext();
        bridge.claimWithdrawal(2, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);
        assertEq(address(0xAAA1).balance, 1 ether);
    }

    /// @dev The claimed set is keyed by leaf, not by batch: a leaf that two batches both list is
    ///      still paid once.
    function test_claim_sameLeafInTwoBatchesPaidOnce() public {
        fund(2 ether);
        bytes32 leaf = WithdrawalTree.leaf(keccak256("tx"), 0, address(0xAAA1), 1 ether);
        commitNext(leaf, 1);
        commitNext(leaf, 0);
        verifyNext();
        verifyNext();
        bridge.claimWithdrawal(1, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.AlreadyClaimed.selector, leaf));
        bridge.claimWithdrawal(2, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, new bytes32[](0));
        assertEq(address(0xAAA1).balance, 1 ether);
    }

    function test_claim_refusingReceiverRevertsWholeClaim() public {
        fund(1 ether);
        RefusingReceiver receiver = new RefusingReceiver();
        bytes32 leaf = WithdrawalTree.leaf(keccak256("tx"), 0, address(receiver), 1 ether);
        uint256 batch = commitNext(leaf, 1);
        verifyNext();
        vm.expectRevert(CommonBridge.TransferFailed.selector);
        bridge.claimWithdrawal(batch, keccak256("tx"), 0, address(receiver), 1 ether, 0, new bytes32[](0));
        assertFalse(bridge.claimed(leaf), "a failed claim stays claimable");
        assertEq(bridge.totalClaimed(), 0);
    }

    // --- pause -------------------------------------------------------------------------------

    function testFuzz_pause_onlyTheCouncil(address caller) public {
        vm.assume(caller != COUNCIL);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotSecurityCouncil.selector, caller));
        bridge.pause();
        // Not even the owner.
        vm.prank(address(timelock));
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotSecurityCouncil.selector, address(timelock)));
        bridge.pause();
    }

    function test_pause_blocksDepositsMessagesAndClaims() public {
        fund(1 ether);
        bytes32 leaf = WithdrawalTree.leaf(keccak256("tx"), 0, address(0xAAA1), 1 ether);
        uint256 batch = commitNext(leaf, 1);
        verifyNext();

        vm.prank(COUNCIL);
        bridge.pause();
        assertTrue(bridge.paused(), "paused");
        assertEq(bridge.pausedUntil(), block.timestamp + MAX_PAUSE, "pausedUntil");
        assertFalse(bridge.pauseArmed(), "pause spent");

        vm.deal(address(this), 10 ether);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        bridge.deposit{value: 1 ether}(address(0xB0B));
        vm.expectRevert(Pausable.EnforcedPause.selector);
        bridge.sendMessage{value: 1 ether}(address(0xB0B), 0, 21_000, "");
        (bool ok, bytes memory reason) = address(bridge).call{value: 1 ether}("");
        assertFalse(ok, "receive while paused");
        assertEq(reason, abi.encodeWithSelector(Pausable.EnforcedPause.selector), "receive's reason");
        vm.expectRevert(Pausable.EnforcedPause.selector);
        bridge.claimWithdrawal(batch, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, new bytes32[](0));

        // The queue and settlement keep going: the proposer still commits and verifies.
        commitNext(bytes32(0), 0);
        verifyNext();

        vm.warp(block.timestamp + MAX_PAUSE);
        bridge.claimWithdrawal(batch, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, new bytes32[](0));
        bridge.deposit{value: 1 ether}(address(0xB0B));
    }

    function testFuzz_pause_endsByItselfAfterMaxPause(uint256 elapsed) public {
        elapsed = bound(elapsed, 0, 3 * MAX_PAUSE);
        uint256 start = block.timestamp;
        vm.prank(COUNCIL);
        bridge.pause();
        vm.warp(start + elapsed);
        assertEq(bridge.paused(), elapsed < MAX_PAUSE, "paused()");
        vm.deal(address(this), 1 ether);
        if (elapsed < MAX_PAUSE) vm.expectRevert(Pausable.EnforcedPause.selector);
        bridge.deposit{value: 1 ether}(address(0xB0B));
    }

    function test_pause_onceUntilTheOwnerRearms() public {
        vm.startPrank(COUNCIL);
        bridge.pause();
        bridge.unpause();
        vm.expectRevert(CommonBridge.PauseNotArmed.selector);
        bridge.pause();
        vm.stopPrank();

        // Only the owner re-arms: not the council, not the owner multisig directly.
        vm.prank(COUNCIL);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, COUNCIL));
        bridge.rearmPause();
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, OWNER));
        bridge.rearmPause();

        viaTimelock(address(bridge), abi.encodeCall(CommonBridge.rearmPause, ()));
        assertTrue(bridge.pauseArmed(), "re-armed");
        vm.prank(COUNCIL);
        bridge.pause();
        assertTrue(bridge.paused());

        // A pause that ran out does not re-arm either.
        vm.warp(block.timestamp + MAX_PAUSE);
        assertFalse(bridge.paused());
        vm.prank(COUNCIL);
        vm.expectRevert(CommonBridge.PauseNotArmed.selector);
        bridge.pause();
    }

    /// @dev Re-armed after a pause the council lifted itself: the council may pause again, for
    ///      a full maxPause.
    function test_pause_rearmedAfterAnUnpauseWorks() public {
        vm.prank(COUNCIL);
        bridge.pause();
        vm.warp(block.timestamp + 1 hours);
        vm.prank(COUNCIL);
        bridge.unpause();
        vm.warp(block.timestamp + 1 hours);
        vm.prank(address(timelock));
        bridge.rearmPause();
        vm.prank(COUNCIL);
        bridge.pause();
        assertTrue(bridge.paused());
        assertEq(bridge.pausedUntil(), block.timestamp + MAX_PAUSE);
    }

    /// @dev A pause that ran out by itself (nobody called unpause) leaves Pausable's flag set;
    ///      the next pause, once re-armed, must still work and last `maxPause` again. (Found by
    ///      this suite: `pause` used to write `pausedUntil` before `_pause`, whose check then saw
    ///      a live pause and reverted forever.)
    function test_pause_worksAgainAfterALapsedPauseIsRearmed() public {
        vm.prank(COUNCIL);
        bridge.pause();
        vm.warp(block.timestamp + MAX_PAUSE); // ran out by itself
        assertFalse(bridge.paused());

        vm.prank(address(timelock));
        bridge.rearmPause();
        vm.prank(COUNCIL);
        bridge.pause();
        assertTrue(bridge.paused());
        assertEq(bridge.pausedUntil(), block.timestamp + MAX_PAUSE);
        vm.warp(block.timestamp + MAX_PAUSE);
        assertFalse(bridge.paused());
    }

    /// @dev A re-arm during a pause does not let the council extend it.
    function test_pause_cannotBeExtendedWhilePaused() public {
        vm.prank(COUNCIL);
        bridge.pause();
        uint256 until = bridge.pausedUntil();
        vm.warp(block.timestamp + 1 days);
        vm.prank(address(timelock));
        bridge.rearmPause();
        vm.prank(COUNCIL);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        bridge.pause();
        assertEq(bridge.pausedUntil(), until);
    }

    function testFuzz_unpause_byTheOwnerOrTheCouncil(address caller) public {
        vm.assume(caller != COUNCIL && caller != address(timelock));
        vm.prank(COUNCIL);
        bridge.pause();

        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotOwnerOrCouncil.selector, caller));
        bridge.unpause();

        vm.prank(address(timelock));
        bridge.unpause();
        assertFalse(bridge.paused());
        assertEq(bridge.pausedUntil(), 0);

        vm.prank(address(timelock));
        bridge.rearmPause();
        vm.prank(COUNCIL);
        bridge.pause();
        vm.prank(COUNCIL);
        bridge.unpause();
        assertFalse(bridge.paused());

        // Nothing to lift.
        vm.prank(COUNCIL);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        bridge.unpause();
    }

    function test_unpause_afterThePauseRanOutReverts() public {
        vm.prank(COUNCIL);
        bridge.pause();
        vm.warp(block.timestamp + MAX_PAUSE);
        vm.prank(COUNCIL);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        bridge.unpause();
    }

    function test_setSecurityCouncil_onlyTheOwner() public {
        address newCouncil = address(0xC0C2);
        vm.prank(COUNCIL);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, COUNCIL));
        bridge.setSecurityCouncil(newCouncil);

        viaTimelock(address(bridge), abi.encodeCall(CommonBridge.setSecurityCouncil, (newCouncil)));
        assertEq(bridge.securityCouncil(), newCouncil);
        vm.prank(COUNCIL);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotSecurityCouncil.selector, COUNCIL));
        bridge.pause();
        vm.prank(newCouncil);
        bridge.pause();
        assertTrue(bridge.paused());
    }
}

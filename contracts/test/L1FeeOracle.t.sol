// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {L1FeeOracle} from "../src/l2/L1FeeOracle.sol";
import {PredeployTest} from "./util/Predeploys.sol";

contract L1FeeOracleTest is PredeployTest {
    L1FeeOracle internal oracle;

    function setUp() public {
        oracle = placeOracle(0, 0);
    }

    /// @dev The node writes slot 0 and slot 1 directly at the start of every block; the getters
    ///      must read exactly those slots.
    function testFuzz_storageLayout_nodeWrittenSlots(uint256 blobBaseFee, uint256 dataPrice) public {
        setOracleSlots(blobBaseFee, dataPrice);
        assertEq(oracle.blobBaseFee(), blobBaseFee, "blobBaseFee is not slot 0");
        assertEq(oracle.dataPrice(), dataPrice, "dataPrice is not slot 1");
    }

    function test_signatureBytes() public view {
        assertEq(oracle.SIGNATURE_BYTES(), 68);
    }

    function test_getL1Fee_roundsUpPerThousandBytes() public {
        setOracleSlots(7, 1);
        assertEq(oracle.getL1Fee(""), 0, "empty tx");
        assertEq(oracle.getL1Fee(new bytes(1)), 1, "1 byte at 1 wei/kB rounds up to 1");
        assertEq(oracle.getL1Fee(new bytes(1000)), 1, "1000 bytes at 1 wei/kB");
        assertEq(oracle.getL1Fee(new bytes(1001)), 2, "1001 bytes at 1 wei/kB");

        setOracleSlots(7, 1500);
        assertEq(oracle.getL1Fee(new bytes(1)), 2, "1 byte at 1500 wei/kB: 1.5 rounds up");
        assertEq(oracle.getL1Fee(new bytes(2)), 3, "2 bytes at 1500 wei/kB");
        assertEq(oracle.getL1Fee(new bytes(120)), 180, "120 bytes at 1500 wei/kB");
    }

    function test_getL1FeeUpperBound_addsTheSignature() public {
        setOracleSlots(0, 1000);
        assertEq(oracle.getL1FeeUpperBound(0), 68, "0 bytes + signature at 1 wei/byte");
        assertEq(oracle.getL1FeeUpperBound(100), 168, "100 bytes + signature at 1 wei/byte");
    }

    /// @dev The fee depends on the length only, never on the bytes, and is
    ///      ceil(length * dataPrice / 1000); the blob base fee does not enter it.
    function testFuzz_getL1Fee_isCeilOfLengthTimesPrice(bytes calldata signedTx, uint256 dataPrice, uint256 blobBaseFee)
        public
    {
        dataPrice = bound(dataPrice, 0, type(uint128).max);
        setOracleSlots(blobBaseFee, dataPrice);
        uint256 product = signedTx.length * dataPrice;
        uint256 expected = product / 1000 + (product % 1000 == 0 ? 0 : 1);
        assertEq(oracle.getL1Fee(signedTx), expected, "getL1Fee");
        assertEq(oracle.getL1Fee(new bytes(signedTx.length)), expected, "fee depends on the bytes");
    }

    function testFuzz_getL1FeeUpperBound_isFeeOfSizePlusSignature(uint256 unsignedTxSize, uint256 dataPrice) public {
        unsignedTxSize = bound(unsignedTxSize, 0, 200_000);
        dataPrice = bound(dataPrice, 0, type(uint128).max);
        setOracleSlots(0, dataPrice);
        uint256 upper = oracle.getL1FeeUpperBound(unsignedTxSize);
        assertEq(upper, oracle.getL1Fee(new bytes(unsignedTxSize + 68)), "upper bound vs fee of the signed size");
        assertTrue(upper >= oracle.getL1Fee(new bytes(unsignedTxSize)), "upper bound below the unsigned fee");
    }

    /// @dev At any size and price the fee is either exact or the call reverts (checked
    ///      arithmetic): it never wraps around to a small fee.
    function testFuzz_getL1FeeUpperBound_neverWraps(uint256 unsignedTxSize, uint256 dataPrice) public {
        setOracleSlots(0, dataPrice);
        (bool ok, bytes memory ret) =
            L1_FEE_ORACLE.staticcall(abi.encodeCall(L1FeeOracle.getL1FeeUpperBound, (unsignedTxSize)));

        bool overflows = unsignedTxSize > type(uint256).max - 68;
        uint256 size;
        if (!overflows) {
            size = unsignedTxSize + 68;
            // size * dataPrice + 999 must fit in 256 bits (exact: size * p <= M - 999 iff
            // size <= floor((M - 999) / p)).
            overflows = dataPrice != 0 && size > (type(uint256).max - 999) / dataPrice;
        }
        if (overflows) {
            assertFalse(ok, "overflowing fee did not revert");
            // Panic(0x11): arithmetic overflow.
            assertEq(ret, abi.encodeWithSignature("Panic(uint256)", 0x11), "revert reason");
        } else {
            assertTrue(ok, "fee reverted without overflow");
            uint256 product = size * dataPrice;
            assertEq(abi.decode(ret, (uint256)), product / 1000 + (product % 1000 == 0 ? 0 : 1), "fee");
        }
    }

    function test_getL1FeeUpperBound_hugeSizeRevertsOnOverflow() public {
        setOracleSlots(0, 1);
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        oracle.getL1FeeUpperBound(type(uint256).max - 67);
    }

    /// @dev Nothing in the oracle writes its storage: whatever is called, slots 0 and 1 stay what
    ///      the node set.
    function testFuzz_nothingWritesStorage(bytes calldata data, uint256 blobBaseFee, uint256 dataPrice) public {
        dataPrice = bound(dataPrice, 0, type(uint64).max);
        setOracleSlots(blobBaseFee, dataPrice);
        vm.record();
        (bool ok,) = L1_FEE_ORACLE.call(data);
        ok; // a call may succeed (a getter) or revert (anything else); neither writes
        (, bytes32[] memory writes) = vm.accesses(L1_FEE_ORACLE);
        assertEq(writes.length, 0, "storage writes");
        assertEq(oracle.blobBaseFee(), blobBaseFee, "blobBaseFee changed");
        assertEq(oracle.dataPrice(), dataPrice, "dataPrice changed");
    }

    function test_rejectsEther() public {
        vm.deal(address(this), 1 ether);
        (bool ok,) = L1_FEE_ORACLE.call{value: 1 ether}("");
        assertFalse(ok, "plain transfer accepted");
    }
}

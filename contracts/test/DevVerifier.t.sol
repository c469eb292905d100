// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {DevVerifier} from "../src/l1/DevVerifier.sol";
import {ProverKeys} from "../src/l1/ProverKeys.sol";
import {Test} from "./util/Test.sol";

/// @notice The signature checks of DevVerifier and ProverKeys: which 65-byte proofs count.
/// @dev Key management (owner, adding and removing keys) is deliberately not tested here: the
///      ownership model is changing. Keys are registered through the constructor only, in
///      `deploy`, the one place that knows the constructor's signature.
contract DevVerifierTest is Test {
    uint256 internal constant HALF_CURVE_ORDER = SECP256K1_ORDER / 2;
    address internal constant OWNER = address(0x0A11);
    uint256 internal constant PROVER_KEY = 0xC0FFEE;

    DevVerifier internal verifier;

    function setUp() public {
        verifier = deploy(one(vm.addr(PROVER_KEY)));
        vm.label(vm.addr(PROVER_KEY), "prover");
    }

    // --- helpers -----------------------------------------------------------------------------

    function deploy(address[] memory provers) internal returns (DevVerifier) {
        return new DevVerifier(OWNER, provers);
    }

    function one(address prover) internal pure returns (address[] memory provers) {
        provers = new address[](1);
        provers[0] = prover;
    }

    /// @dev The proof keel-prover makes: r ‖ s ‖ v over digest(commitment).
    function proofFor(DevVerifier v_, uint256 privateKey, bytes32 commitment) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, v_.digest(commitment));
        return abi.encodePacked(r, s, v);
    }

    /// @dev Whether `reason` is the revert a wrong-but-well-formed signature gets: it recovers to
    ///      an unregistered address, or to none.
    function isRefusedSignature(bytes memory reason) internal pure returns (bool) {
        if (reason.length < 4) return false;
        bytes4 selector = bytes4(reason);
        return selector == ProverKeys.UnknownProver.selector || selector == ProverKeys.InvalidSignature.selector;
    }

    // --- digest ------------------------------------------------------------------------------

    function testFuzz_digest_isDomainTaggedCommitment(bytes32 commitment) public view {
        assertEq(verifier.DOMAIN_TAG(), keccak256("keel.dev-verifier.v1"), "DOMAIN_TAG");
        assertEq(
            verifier.digest(commitment), keccak256(abi.encode(keccak256("keel.dev-verifier.v1"), commitment)), "digest"
        );
    }

    // --- accepted ----------------------------------------------------------------------------

    function testFuzz_acceptsRegisteredKey(uint256 keySeed, bytes32 commitment) public {
        uint256 key = boundPrivateKey(keySeed);
        DevVerifier v = deploy(one(vm.addr(key)));
        (uint8 sv, bytes32 r, bytes32 s) = vm.sign(key, v.digest(commitment));
        assertLe(uint256(s), HALF_CURVE_ORDER, "vm.sign gave a high-s signature");
        assertTrue(sv == 27 || sv == 28, "vm.sign v");

        assertTrue(v.verify(commitment, abi.encodePacked(r, s, sv)), "v = 27/28");
        assertTrue(v.verify(commitment, abi.encodePacked(r, s, sv - 27)), "v = 0/1");
    }

    function testFuzz_acceptsEveryRegisteredKey(uint256 seedA, uint256 seedB, uint256 seedC, bytes32 commitment)
        public
    {
        uint256[3] memory keys = [boundPrivateKey(seedA), boundPrivateKey(seedB), boundPrivateKey(seedC)];
        address[] memory provers = new address[](3);
        for (uint256 i = 0; i < 3; ++i) provers[i] = vm.addr(keys[i]);
        vm.assume(provers[0] != provers[1] && provers[0] != provers[2] && provers[1] != provers[2]);
        DevVerifier v = deploy(provers);
        for (uint256 i = 0; i < 3; ++i) {
            assertTrue(v.verify(commitment, proofFor(v, keys[i], commitment)), "registered key refused");
        }
    }

    // --- refused -----------------------------------------------------------------------------

    function testFuzz_refusesUnregisteredKey(uint256 keySeed, bytes32 commitment) public {
        uint256 key = boundPrivateKey(keySeed);
        vm.assume(key != PROVER_KEY);
        bytes memory proof = proofFor(verifier, key, commitment);

        vm.expectRevert(abi.encodeWithSelector(ProverKeys.UnknownProver.selector, vm.addr(key)));
        verifier.verify(commitment, proof);
    }

    /// @dev (r, n - s, flipped v) is the same signer's signature too (ECDSA malleability); it is
    ///      refused for its high s alone.
    function testFuzz_refusesHighS(uint256 keySeed, bytes32 commitment) public {
        uint256 key = boundPrivateKey(keySeed);
        DevVerifier v = deploy(one(vm.addr(key)));
        bytes32 digest = v.digest(commitment);
        (uint8 sv, bytes32 r, bytes32 s) = vm.sign(key, digest);
        bytes32 highS = bytes32(SECP256K1_ORDER - uint256(s));
        uint8 flippedV = sv == 27 ? 28 : 27;
        assertEq(ecrecover(digest, flippedV, r, highS), vm.addr(key), "the high-s twin recovers the same key");

        vm.expectRevert(abi.encodeWithSelector(ProverKeys.HighS.selector, highS));
        v.verify(commitment, abi.encodePacked(r, highS, flippedV));
        vm.expectRevert(abi.encodeWithSelector(ProverKeys.HighS.selector, highS));
        v.verify(commitment, abi.encodePacked(r, highS, flippedV - 27));
    }

    function testFuzz_refusesAnyHighS(bytes32 commitment, bytes32 r, uint256 s, bool odd) public {
        s = bound(s, HALF_CURVE_ORDER + 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ProverKeys.HighS.selector, bytes32(s)));
        verifier.verify(commitment, abi.encodePacked(r, s, odd ? uint8(28) : uint8(27)));
    }

    function testFuzz_refusesBadV(bytes32 commitment, uint8 badV) public {
        vm.assume(badV != 0 && badV != 1 && badV != 27 && badV != 28);
        bytes memory proof = proofFor(verifier, PROVER_KEY, commitment);
        proof[64] = bytes1(badV);

        vm.expectRevert(abi.encodeWithSelector(ProverKeys.BadSignatureV.selector, badV));
        verifier.verify(commitment, proof);
    }

    function testFuzz_refusesBadLength(bytes32 commitment, bytes calldata proof) public {
        vm.assume(proof.length != 65);
        vm.expectRevert(abi.encodeWithSelector(DevVerifier.BadProofLength.selector, proof.length));
        verifier.verify(commitment, proof);
    }

    function test_refusesGoodSignatureWithTrailingByte() public {
        bytes32 commitment = keccak256("batch");
        bytes memory proof = abi.encodePacked(proofFor(verifier, PROVER_KEY, commitment), uint8(0));
        vm.expectRevert(abi.encodeWithSelector(DevVerifier.BadProofLength.selector, 66));
        verifier.verify(commitment, proof);
    }

    function test_refusesUnrecoverableSignature() public {
        // r = 0 is not a curve point's x coordinate: ecrecover returns address(0).
        vm.expectRevert(ProverKeys.InvalidSignature.selector);
        verifier.verify(bytes32(0), abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27)));
    }

    /// @dev A proof fits one commitment (one batch of one chain) only.
    function testFuzz_signatureFitsOneCommitmentOnly(bytes32 signed, bytes32 other) public view {
        vm.assume(signed != other);
        bytes memory proof = proofFor(verifier, PROVER_KEY, signed);
        assertTrue(verifier.verify(signed, proof), "the signed commitment");
        try verifier.verify(other, proof) {
            fail("a proof for one commitment verified another");
        } catch (bytes memory reason) {
            assertTrue(isRefusedSignature(reason), "unexpected revert");
        }
    }

    /// @dev The prover signs the domain-tagged digest, raw: a signature over the bare commitment
    ///      or an eth_sign ("\x19Ethereum Signed Message:\n32") signature of the digest does not
    ///      count.
    function testFuzz_refusesOtherMessageFormats(bytes32 commitment) public view {
        bytes32 digest = verifier.digest(commitment);
        bytes32[2] memory wrong =
            [commitment, keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest))];
        for (uint256 i = 0; i < wrong.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(PROVER_KEY, wrong[i]);
            try verifier.verify(commitment, abi.encodePacked(r, s, v)) {
                fail("a signature over another message verified");
            } catch (bytes memory reason) {
                assertTrue(isRefusedSignature(reason), "unexpected revert");
            }
        }
    }

    /// @dev Signature checks are independent of the caller.
    function testFuzz_verifyIsCallerIndependent(address caller, bytes32 commitment) public {
        vm.assume(caller != address(vm));
        bytes memory proof = proofFor(verifier, PROVER_KEY, commitment);
        vm.prank(caller);
        assertTrue(verifier.verify(commitment, proof));
    }

    // --- deployment --------------------------------------------------------------------------

    function test_deploysOnDevChains() public {
        vm.chainId(1337);
        deploy(one(address(1)));
        vm.chainId(31337);
        deploy(one(address(1)));
    }

    function testFuzz_refusesToDeployElsewhere(uint64 chainId) public {
        vm.assume(chainId != 31337 && chainId != 1337);
        vm.chainId(chainId);
        address[] memory provers = one(address(1));
        vm.expectRevert(abi.encodeWithSelector(DevVerifier.NotADevChain.selector, uint256(chainId)));
        deploy(provers);
    }
}

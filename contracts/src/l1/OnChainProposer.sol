// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

import {CommonBridge} from "./CommonBridge.sol";
import {IOnChainProposer} from "./IOnChainProposer.sol";
import {ISequencerRegistry} from "./ISequencerRegistry.sol";
import {IVerifier} from "./IVerifier.sol";

/// @title OnChainProposer
/// @notice The Keel L2's settlement contract: the sequencer commits batches in order (consuming
///         the bridge's deposit queue), and anyone holding proofs verifies them in order. A batch
///         is verified only when every configured verifier accepts its stored commitment.
/// @dev Batch commitment (the public input of every proof), twelve 32-byte words:
///      keccak256(abi.encode(batchNumber, chainSpecHash, firstBlock, blockCount, parentBlockHash,
///      preStateRoot, postStateRoot, lastBlockHash, lastBlockTimestamp, withdrawalsRoot,
///      depositsRollingHash, blobsHash)), with chainSpecHash the pinned hash of the L2's chain spec (chain id, fee
///      rules, block gas bound: the rules the STF checks, so a prover cannot choose its own)
///      and blobsHash
///      keccak256(abi.encodePacked(vh0, z0, y0, vh1, z1, y1, ...)) over the commit's blobs
///      (versioned hash, challenge point, value there), or zero for a validium deployment.
///      Batch 0 is genesis: verified from the start, commitment 0.
///
///      Forced inclusion is measured in L2 time: a batch must include every deposit whose
///      deadline is before its last block's timestamp (proven by the STF, never after the
///      commit's L1 block). A batch made before a deposit's deadline stays committable however
///      late it reaches L1, so no outage of the sequencer's L1 access can freeze settlement.
///
///      Data availability: a rollup deployment (`validium == false`) takes a batch only with
///      its data in the commit transaction's blobs. For each blob the sequencer gives the
///      challenge z, the value y of the blob polynomial at z, and the KZG commitment and proof;
///      the point-evaluation precompile checks them against `blobhash(i)`. The proof's STF
///      rebuilds the blobs from the data it executed and evaluates them at the same z (derived
///      from the versioned hash and the data): a proof of other data than the blobs hold
///      cannot match the stored commitment.
///
///      Settlement in one transaction per L1 block: `multicall` (OpenZeppelin's, each call
///      delegated to this contract, so `msg.sender` and the transaction's blobs are the
///      caller's) lets the sequencer commit new batches and verify proven ones together. Sent
///      one after the other they would alternate, each in its own L1 block, halving the data a
///      rollup can post per block.
contract OnChainProposer is IOnChainProposer, Ownable2Step, Multicall {
    /// @notice What is stored for each committed batch.
    struct BatchCommitment {
        uint64 firstBlock;
        uint64 lastBlock;
        uint64 lastBlockTimestamp;
        bytes32 stateRoot;
        bytes32 lastBlockHash;
        bytes32 withdrawalsRoot;
        bytes32 depositsRollingHash;
        uint64 depositCount;
        bytes32 blobsHash;
        bytes32 commitment;
    }

    /// @notice What the sequencer says of a batch it commits.
    struct BatchHeader {
        /// @notice The batch's last L2 block; the batch covers previous lastBlock + 1 ..= lastBlock.
        uint256 lastBlock;
        /// @notice The state root after `lastBlock`.
        bytes32 newStateRoot;
        /// @notice The hash of `lastBlock`.
        bytes32 lastBlockHash;
        /// @notice The timestamp of `lastBlock` (unix seconds): the batch's L2 time, against which
        ///         deposit deadlines are measured. Never after the commit's L1 block.
        uint256 lastBlockTimestamp;
        /// @notice The Merkle root of the batch's withdrawals (zero if none).
        bytes32 withdrawalsRoot;
        /// @notice The rolling hash of the deposits the batch includes (zero if none).
        bytes32 depositsRollingHash;
        /// @notice The number of deposits the batch includes, oldest first.
        uint256 depositCount;
    }

    /// @notice One blob of a commit: the opening the point-evaluation precompile checks.
    struct BlobOpening {
        /// @notice The challenge point.
        bytes32 z;
        /// @notice The blob polynomial at z.
        bytes32 y;
        /// @notice The blob's KZG commitment (48 bytes).
        bytes commitment;
        /// @notice The KZG proof of y = p(z) (48 bytes).
        bytes proof;
    }

    /// @dev EIP-4844's point-evaluation precompile.
    address private constant POINT_EVALUATION = address(0x0a);
    /// @dev What the precompile returns on success: FIELD_ELEMENTS_PER_BLOB and BLS_MODULUS.
    bytes32 private constant FIELD_ELEMENTS_PER_BLOB = bytes32(uint256(4096));
    bytes32 private constant BLS_MODULUS =
        0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;

    /// @notice The CommonBridge whose deposit queue batches consume.
    address public immutable bridge;
    /// @notice The account that deployed this contract: it may set a sequencer registry once,
    ///         before the first commit (`setInitialSequencerRegistry`), so a deployment can be
    ///         based from its start.
    address public immutable deployer;
    /// @notice The L2 chain id.
    uint256 public immutable l2ChainId;
    /// @notice The L2 chain spec every batch is proven under, part of every batch commitment:
    ///         keccak256(abi.encode(uint256 version = 1, chainId, elasticityMultiplier,
    ///         baseFeeMaxChangeDenominator, minBaseFee, maxBaseFee, maxBlockGas)).
    bytes32 public immutable chainSpecHash;
    /// @notice Whether batches are committed without their data (validium): then no blob is
    ///         taken and every blobsHash is zero. Fixed at deployment.
    bool public immutable validium;
    /// @notice The only account that may commit batches, while no sequencer registry is set.
    address public sequencer;
    /// @notice Based sequencing: when set, commits are taken from whom the registry allows
    ///         (`ISequencerRegistry.mayCommit`: the leader of the current L1 epoch, or any active
    ///         sequencer after a long silence) instead of from `sequencer`. Set by the owner, so
    ///         the move to based sequencing waits out the timelock's exit window.
    address public sequencerRegistry;
    /// @notice When the last batch was committed (unix seconds; the deployment's time before
    ///         the first): the registry's fallback counts from it.
    uint256 public lastCommitAt;
    /// @dev Whether the deployer used `setInitialSequencerRegistry` (it may, once).
    bool private _initialRegistrySet;
    /// @notice The highest committed batch number (0 = only genesis).
    uint256 public lastCommittedBatch;
    /// @notice The highest verified batch number (0 = only genesis).
    uint256 public lastVerifiedBatch;
    /// @notice How many times committed batches were reverted (`revertBatches`): a node whose
    ///         chain has applied fewer reverts must re-form its blocks before committing again.
    uint256 public reverts;
    /// @notice The stored data of each batch (batch 0 is genesis).
    mapping(uint256 batchNumber => BatchCommitment) public batches;

    /// @dev Every one of these must accept a batch's proof (proofs[i] goes to _verifiers[i]).
    address[] private _verifiers;

    /// @notice Batch `batchNumber` was committed.
    /// @dev `blobHashes` are the versioned hashes of the blobs carrying the batch's data, in
    ///      order (empty under validium): what a follower fetches to rebuild the chain.
    event BatchCommitted(
        uint256 indexed batchNumber,
        bytes32 commitment,
        bytes32 newStateRoot,
        uint256 lastBlock,
        bytes32 lastBlockHash,
        bytes32[] blobHashes
    );
    /// @notice Batch `batchNumber` was verified.
    event BatchVerified(uint256 indexed batchNumber, bytes32 commitment);
    /// @notice The sequencer changed.
    event SequencerChanged(address indexed previousSequencer, address indexed newSequencer);
    /// @notice The sequencer registry changed (zero: back to the fixed sequencer).
    event SequencerRegistryChanged(address indexed previousRegistry, address indexed newRegistry);
    /// @notice The verifier list changed.
    event VerifiersChanged(address[] verifiers);
    /// @notice Committed batches `keptBatch + 1 ..= lastRevertedBatch` were reverted; their
    ///         deposits are back in the bridge's queue. `reverts` is the new revert count.
    event BatchesReverted(uint256 indexed keptBatch, uint256 lastRevertedBatch, uint256 reverts);

    /// @notice Caller may not commit: not the sequencer, or not allowed by the sequencer registry.
    error NotSequencer(address caller);
    /// @notice The sequencer registry has no code.
    error RegistryHasNoCode(address registry);
    /// @notice Caller is not the deployer.
    error NotDeployer(address caller);
    /// @notice A registry is set already, or batches were committed: too late for the deployer.
    error AlreadyStarted();
    /// @notice An address argument (`what`: "sequencer", "bridge", "verifier") is zero.
    error ZeroAddress(string what);
    /// @notice The verifier list is empty.
    error NoVerifiers();
    /// @notice A verifier appears twice in the list.
    error DuplicateVerifier(address verifier);
    /// @notice A verifier address has no code.
    error VerifierHasNoCode(address verifier);
    /// @notice The committed batch is not the next one.
    error BatchOutOfOrder(uint256 expected, uint256 got);
    /// @notice The batch's last block is not after the previous batch's last block.
    error EmptyBatch(uint256 previousLastBlock, uint256 lastBlock);
    /// @notice A block number or count does not fit in 64 bits.
    error ValueTooLarge(uint256 value);
    /// @notice A batch list is empty, or its headers and openings differ in number.
    error BatchListMismatch(uint256 headers, uint256 openings);
    /// @notice The batch's last block is later than the L1 block committing it.
    error BatchFromTheFuture(uint256 lastBlockTimestamp, uint256 now);
    /// @notice The bridge's rolling hash of the consumed deposits differs from the batch's.
    error DepositsMismatch(bytes32 expected, bytes32 got);
    /// @notice The verified batch is not the next one.
    error VerifyOutOfOrder(uint256 expected, uint256 got);
    /// @notice The batch has not been committed.
    error BatchNotCommitted(uint256 batchNumber);
    /// @notice One proof must be given per verifier.
    error WrongProofCount(uint256 expected, uint256 got);
    /// @notice Verifier `index` returned false for its proof.
    error VerifierRejected(uint256 index, address verifier);
    /// @notice A rollup commit carries no blob (its data must be on L1).
    error NoBlobs();
    /// @notice The commit transaction has no blob `index`, or one more than it opens.
    error BlobCountMismatch(uint256 openings, uint256 index);
    /// @notice A validium deployment takes no blob.
    error BlobsInValidium();
    /// @notice A KZG commitment or proof is not 48 bytes.
    error MalformedOpening(uint256 index);
    /// @notice The point-evaluation precompile refused blob `index`'s opening.
    error BlobOpeningRejected(uint256 index);
    /// @notice Caller is neither the owner nor the bridge's security council.
    error NotOwnerOrCouncil(address caller);
    /// @notice Only committed, unverified batches can be reverted: `keptBatch` must be at least
    ///         `lastVerifiedBatch` and below `lastCommittedBatch`.
    error CannotRevert(uint256 keptBatch, uint256 lastVerified, uint256 lastCommitted);

    /// @notice Deploys the proposer with batch 0 (genesis) committed and verified.
    /// @dev After deployment the bridge's deployer must call `CommonBridge(bridge).setProposer(this)`.
    /// @param owner_ The admin (sequencer and verifier changes): the timelock in a `keel deploy`.
    /// @param sequencer_ The account that commits batches.
    /// @param bridge_ The CommonBridge.
    /// @param l2ChainId_ The L2 chain id.
    /// @param chainSpecHash_ The hash of the L2 chain spec (see `chainSpecHash`).
    /// @param genesisBlockHash The hash of L2 block 0.
    /// @param genesisStateRoot The state root of L2 block 0.
    /// @param verifiers_ The verifiers that must all accept each batch (at least one).
    /// @param validium_ Commit batches without their data (no blobs): explicit, never a default.
    constructor(
        address owner_,
        address sequencer_,
        address bridge_,
        uint256 l2ChainId_,
        bytes32 chainSpecHash_,
        bytes32 genesisBlockHash,
        bytes32 genesisStateRoot,
        address[] memory verifiers_,
        bool validium_
    ) Ownable(owner_) {
        if (sequencer_ == address(0)) revert ZeroAddress("sequencer");
        if (bridge_ == address(0)) revert ZeroAddress("bridge");
        deployer = msg.sender;
        sequencer = sequencer_;
        bridge = bridge_;
        l2ChainId = l2ChainId_;
        chainSpecHash = chainSpecHash_;
        validium = validium_;
        _setVerifiers(verifiers_);

        BatchCommitment storage genesis = batches[0];
        genesis.lastBlockHash = genesisBlockHash;
        genesis.stateRoot = genesisStateRoot;
        lastCommitAt = block.timestamp;
        // lastCommittedBatch = lastVerifiedBatch = 0: genesis is committed and verified.
        emit SequencerChanged(address(0), sequencer_);
    }

    /// @notice Commits the next batch. Only the sequencer. Consumes `header.depositCount`
    ///         deposits from the bridge, whose rolling hash must equal
    ///         `header.depositsRollingHash`; checks the transaction's blobs against `blobs`.
    /// @param batchNumber Must be `lastCommittedBatch + 1`.
    /// @param header The batch's last block, roots and deposits.
    /// @param blobs One opening per blob of this transaction, in blob order (none under
    ///        validium).
    function commitBatch(uint256 batchNumber, BatchHeader calldata header, BlobOpening[] calldata blobs)
        external
    {
        _checkCommitter();
        _checkBlobCount(blobs.length);
        _commit(batchNumber, header, blobs, 0);
    }

    /// @notice Commits consecutive batches in one transaction (the sequencer catches up on a
    ///         slow L1 this way): batch `firstBatch + i` with `headers[i]` and the openings
    ///         `blobs[i]` of the transaction's next `blobs[i].length` blobs. Only the sequencer.
    /// @param firstBatch Must be `lastCommittedBatch + 1`.
    /// @param headers One header per batch (at least one).
    /// @param blobs Per batch, the openings of its blobs, in the transaction's blob order.
    function commitBatches(uint256 firstBatch, BatchHeader[] calldata headers, BlobOpening[][] calldata blobs)
        external
    {
        _checkCommitter();
        uint256 n = headers.length;
        if (n == 0 || blobs.length != n) revert BatchListMismatch(n, blobs.length);
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            total += blobs[i].length;
        }
        _checkBlobCount(total);
        uint256 firstBlob = 0;
        for (uint256 i = 0; i < n; ++i) {
            _commit(firstBatch + i, headers[i], blobs[i], firstBlob);
            firstBlob += blobs[i].length;
        }
    }

    /// @dev The caller may commit: the sequencer, or whom the registry allows when one is set.
    function _checkCommitter() private view {
        address registry = sequencerRegistry;
        bool allowed = registry == address(0)
            ? msg.sender == sequencer
            : ISequencerRegistry(registry).mayCommit(msg.sender, lastCommitAt);
        if (!allowed) revert NotSequencer(msg.sender);
    }

    /// @dev Commits batch `batchNumber`, whose blobs are the transaction's from `firstBlob` on.
    function _commit(uint256 batchNumber, BatchHeader calldata header, BlobOpening[] calldata blobs, uint256 firstBlob)
        private
    {
        if (batchNumber != lastCommittedBatch + 1) revert BatchOutOfOrder(lastCommittedBatch + 1, batchNumber);
        BatchCommitment storage prev = batches[batchNumber - 1];
        uint256 lastBlock = header.lastBlock;
        if (lastBlock <= prev.lastBlock) revert EmptyBatch(prev.lastBlock, lastBlock);
        if (lastBlock > type(uint64).max) revert ValueTooLarge(lastBlock);
        if (header.depositCount > type(uint64).max) revert ValueTooLarge(header.depositCount);
        uint256 l2Time = header.lastBlockTimestamp;
        if (l2Time > block.timestamp) revert BatchFromTheFuture(l2Time, block.timestamp);

        bytes32 got = CommonBridge(payable(bridge)).consumeDeposits(header.depositCount, l2Time);
        if (got != header.depositsRollingHash) revert DepositsMismatch(header.depositsRollingHash, got);
        (bytes32 blobsHash, bytes32[] memory blobHashes) = _checkBlobs(blobs, firstBlob);

        BatchCommitment memory batch = BatchCommitment({
            firstBlock: prev.lastBlock + 1,
            lastBlock: uint64(lastBlock),
            lastBlockTimestamp: uint64(l2Time),
            stateRoot: header.newStateRoot,
            lastBlockHash: header.lastBlockHash,
            withdrawalsRoot: header.withdrawalsRoot,
            depositsRollingHash: header.depositsRollingHash,
            depositCount: uint64(header.depositCount),
            blobsHash: blobsHash,
            commitment: bytes32(0)
        });
        batch.commitment = _commitment(batchNumber, prev, batch);
        batches[batchNumber] = batch;
        lastCommittedBatch = batchNumber;
        lastCommitAt = block.timestamp;
        emit BatchCommitted(
            batchNumber, batch.commitment, header.newStateRoot, lastBlock, header.lastBlockHash, blobHashes
        );
    }

    /// @dev The batch commitment (see the contract's notes) of `batch`, which follows `prev`.
    function _commitment(uint256 batchNumber, BatchCommitment storage prev, BatchCommitment memory batch)
        private
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                batchNumber,
                chainSpecHash,
                uint256(batch.firstBlock),
                uint256(batch.lastBlock) - uint256(batch.firstBlock) + 1,
                prev.lastBlockHash,
                prev.stateRoot,
                batch.stateRoot,
                batch.lastBlockHash,
                uint256(batch.lastBlockTimestamp),
                batch.withdrawalsRoot,
                batch.depositsRollingHash,
                batch.blobsHash
            )
        );
    }

    /// @dev Checks the transaction has exactly `count` blobs (the openings given); under
    ///      validium, none.
    function _checkBlobCount(uint256 count) private view {
        if (validium) {
            if (blobhash(0) != bytes32(0)) revert BlobsInValidium();
        } else if (blobhash(count) != bytes32(0)) {
            revert BlobCountMismatch(count, count);
        }
    }

    /// @dev Checks the transaction's blobs `firstBlob ..` against `blobs`, one opening each, and
    ///      returns the batch's blobs hash and versioned hashes. Under validium there are none.
    function _checkBlobs(BlobOpening[] calldata blobs, uint256 firstBlob)
        private
        view
        returns (bytes32 blobsHash, bytes32[] memory blobHashes)
    {
        uint256 n = blobs.length;
        if (validium) {
            if (n != 0) revert BlobsInValidium();
            return (bytes32(0), new bytes32[](0));
        }
        if (n == 0) revert NoBlobs();
        blobHashes = new bytes32[](n);
        bytes memory packed = new bytes(0);
        for (uint256 i = 0; i < n; ++i) {
            bytes32 vh = blobhash(firstBlob + i);
            if (vh == bytes32(0)) revert BlobCountMismatch(firstBlob + n, firstBlob + i);
            BlobOpening calldata opening = blobs[i];
            if (opening.commitment.length != 48 || opening.proof.length != 48) revert MalformedOpening(i);
            (bool ok, bytes memory out) = POINT_EVALUATION.staticcall(
                abi.encodePacked(vh, opening.z, opening.y, opening.commitment, opening.proof)
            );
            if (!ok || out.length != 64) revert BlobOpeningRejected(i);
            (bytes32 width, bytes32 modulus) = abi.decode(out, (bytes32, bytes32));
            if (width != FIELD_ELEMENTS_PER_BLOB || modulus != BLS_MODULUS) revert BlobOpeningRejected(i);
            blobHashes[i] = vh;
            packed = abi.encodePacked(packed, vh, opening.z, opening.y);
        }
        blobsHash = keccak256(packed);
    }

    /// @notice Verifies the next committed batch. Anyone may call it. Every verifier i must
    ///         accept `(commitment, proofs[i])`, where `commitment` is the stored one.
    /// @param batchNumber Must be `lastVerifiedBatch + 1` and already committed.
    /// @param proofs One proof per verifier, in the order of `verifiers()`.
    function verifyBatch(uint256 batchNumber, bytes[] calldata proofs) external {
        _verify(batchNumber, proofs);
    }

    /// @notice Verifies consecutive committed batches in one transaction: batch `firstBatch + i`
    ///         with `proofs[i]` (one proof per verifier each). Anyone may call it.
    /// @param firstBatch Must be `lastVerifiedBatch + 1`.
    /// @param proofs Per batch, one proof per verifier, in the order of `verifiers()`.
    function verifyBatches(uint256 firstBatch, bytes[][] calldata proofs) external {
        uint256 n = proofs.length;
        if (n == 0) revert BatchListMismatch(0, 0);
        for (uint256 i = 0; i < n; ++i) {
            _verify(firstBatch + i, proofs[i]);
        }
    }

    /// @dev Verifies batch `batchNumber` with one proof per verifier.
    function _verify(uint256 batchNumber, bytes[] calldata proofs) private {
        uint256 expected = lastVerifiedBatch + 1;
        if (batchNumber != expected) revert VerifyOutOfOrder(expected, batchNumber);
        if (batchNumber > lastCommittedBatch) revert BatchNotCommitted(batchNumber);
        uint256 n = _verifiers.length;
        if (proofs.length != n) revert WrongProofCount(n, proofs.length);

        bytes32 commitment = batches[batchNumber].commitment;
        for (uint256 i = 0; i < n; ++i) {
            address verifier = _verifiers[i];
            // A verifier that reverts makes this call revert with its own error.
            if (!IVerifier(verifier).verify(commitment, proofs[i])) revert VerifierRejected(i, verifier);
        }
        lastVerifiedBatch = batchNumber;
        emit BatchVerified(batchNumber, commitment);
    }

    /// @notice Reverts the committed, unverified batches after `keptBatch`: the way back from a
    ///         batch that can never be proven (the node and the STF disagree, a witness is
    ///         lost). Their commitments go, their deposits return to the bridge's queue (the
    ///         re-formed batches must include them again, deadlines unchanged), and `reverts`
    ///         counts up so the sequencer's node stops until it re-forms its blocks (`keel
    ///         revert`). Only the owner (the timelock, after its delay) or the bridge's security
    ///         council (at once: an emergency power, like its pause). A verified batch is final:
    ///         never reverted.
    /// @param keptBatch The last batch kept: `lastVerifiedBatch <= keptBatch < lastCommittedBatch`.
    function revertBatches(uint256 keptBatch) external {
        if (msg.sender != owner() && msg.sender != CommonBridge(payable(bridge)).securityCouncil()) {
            revert NotOwnerOrCouncil(msg.sender);
        }
        uint256 last = lastCommittedBatch;
        if (keptBatch < lastVerifiedBatch || keptBatch >= last) {
            revert CannotRevert(keptBatch, lastVerifiedBatch, last);
        }
        uint256 deposits = 0;
        for (uint256 n = keptBatch + 1; n <= last; ++n) {
            deposits += batches[n].depositCount;
            delete batches[n];
        }
        lastCommittedBatch = keptBatch;
        uint256 count = reverts + 1;
        reverts = count;
        CommonBridge(payable(bridge)).returnDeposits(deposits);
        emit BatchesReverted(keptBatch, last, count);
    }

    /// @notice What the settler reads before each step, in one call.
    /// @return committed `lastCommittedBatch`.
    /// @return verified `lastVerifiedBatch`.
    /// @return revertCount `reverts`.
    function progress() external view returns (uint256 committed, uint256 verified, uint256 revertCount) {
        return (lastCommittedBatch, lastVerifiedBatch, reverts);
    }

    /// @notice Replaces the sequencer. Only the owner.
    /// @param newSequencer The new sequencer (nonzero).
    function setSequencer(address newSequencer) external onlyOwner {
        if (newSequencer == address(0)) revert ZeroAddress("sequencer");
        emit SequencerChanged(sequencer, newSequencer);
        sequencer = newSequencer;
    }

    /// @notice Moves commits to based sequencing under `registry` (zero: back to `sequencer`).
    ///         Only the owner, so through the timelock.
    /// @param registry The SequencerRegistry (with code), or zero.
    function setSequencerRegistry(address registry) external onlyOwner {
        _setSequencerRegistry(registry);
    }

    /// @notice Makes a new deployment based from its start: sets `registry` (with code). Only
    ///         the deployer, once, while no registry is set and before any batch was ever
    ///         committed (`keel deploy` calls it right after deploying).
    /// @param registry The SequencerRegistry.
    function setInitialSequencerRegistry(address registry) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (_initialRegistrySet || sequencerRegistry != address(0) || lastCommittedBatch != 0 || reverts != 0) {
            revert AlreadyStarted();
        }
        if (registry == address(0)) revert ZeroAddress("registry");
        _initialRegistrySet = true;
        _setSequencerRegistry(registry);
    }

    function _setSequencerRegistry(address registry) private {
        if (registry != address(0) && registry.code.length == 0) revert RegistryHasNoCode(registry);
        emit SequencerRegistryChanged(sequencerRegistry, registry);
        sequencerRegistry = registry;
    }

    /// @notice Replaces the verifier list. Only the owner. Applies to every batch not yet verified.
    /// @param newVerifiers The new list (non-empty, no zero or duplicate addresses, all with code).
    function setVerifiers(address[] calldata newVerifiers) external onlyOwner {
        _setVerifiers(newVerifiers);
    }

    /// @notice The verifiers that must all accept a batch, in proof order.
    /// @return The verifier addresses.
    function verifiers() external view returns (address[] memory) {
        return _verifiers;
    }

    /// @inheritdoc IOnChainProposer
    function isVerified(uint256 batchNumber) external view returns (bool) {
        return batchNumber <= lastVerifiedBatch;
    }

    /// @inheritdoc IOnChainProposer
    function withdrawalsRoot(uint256 batchNumber) external view returns (bytes32) {
        return batches[batchNumber].withdrawalsRoot;
    }

    /// @notice The blobs hash stored for batch `batchNumber` (zero under validium).
    /// @param batchNumber The batch.
    /// @return The blobs hash.
    function blobsHashOf(uint256 batchNumber) external view returns (bytes32) {
        return batches[batchNumber].blobsHash;
    }

    /// @notice The stored commitment of batch `batchNumber` (zero for genesis or an uncommitted batch).
    /// @param batchNumber The batch.
    /// @return The batch commitment.
    function commitmentOf(uint256 batchNumber) external view returns (bytes32) {
        return batches[batchNumber].commitment;
    }

    function _setVerifiers(address[] memory newVerifiers) private {
        uint256 n = newVerifiers.length;
        if (n == 0) revert NoVerifiers();
        for (uint256 i = 0; i < n; ++i) {
            address v = newVerifiers[i];
            if (v == address(0)) revert ZeroAddress("verifier");
            if (v.code.length == 0) revert VerifierHasNoCode(v);
            for (uint256 j = 0; j < i; ++j) {
                if (newVerifiers[j] == v) revert DuplicateVerifier(v);
            }
        }
        _verifiers = newVerifiers;
        emit VerifiersChanged(newVerifiers);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {CommonBridge} from "./CommonBridge.sol";
import {IOnChainProposer} from "./IOnChainProposer.sol";
import {IVerifier} from "./IVerifier.sol";

/// @title OnChainProposer
/// @notice The Keel L2's settlement contract: the sequencer commits batches in order (consuming
///         the bridge's deposit queue), and anyone holding proofs verifies them in order. A batch
///         is verified only when every configured verifier accepts its stored commitment.
/// @dev Batch commitment (the public input of every proof), ten 32-byte words:
///      keccak256(abi.encode(batchNumber, chainId, firstBlock, blockCount, parentBlockHash,
///      preStateRoot, postStateRoot, lastBlockHash, withdrawalsRoot, depositsRollingHash)),
///      with chainId the L2 chain id. Batch 0 is genesis: verified from the start, commitment 0.
contract OnChainProposer is IOnChainProposer {
    /// @notice What is stored for each committed batch.
    struct BatchCommitment {
        uint64 firstBlock;
        uint64 lastBlock;
        bytes32 stateRoot;
        bytes32 lastBlockHash;
        bytes32 withdrawalsRoot;
        bytes32 depositsRollingHash;
        uint64 depositCount;
        bytes32 commitment;
    }

    /// @notice The account allowed to change the sequencer and the verifiers.
    address public immutable owner;
    /// @notice The CommonBridge whose deposit queue batches consume.
    address public immutable bridge;
    /// @notice The L2 chain id, part of every batch commitment.
    uint256 public immutable l2ChainId;
    /// @notice The only account that may commit batches.
    address public sequencer;
    /// @notice The highest committed batch number (0 = only genesis).
    uint256 public lastCommittedBatch;
    /// @notice The highest verified batch number (0 = only genesis).
    uint256 public lastVerifiedBatch;
    /// @notice The stored data of each batch (batch 0 is genesis).
    mapping(uint256 batchNumber => BatchCommitment) public batches;

    /// @dev Every one of these must accept a batch's proof (proofs[i] goes to _verifiers[i]).
    address[] private _verifiers;

    /// @notice Batch `batchNumber` was committed.
    event BatchCommitted(uint256 indexed batchNumber, bytes32 commitment, bytes32 newStateRoot, uint256 lastBlock);
    /// @notice Batch `batchNumber` was verified.
    event BatchVerified(uint256 indexed batchNumber, bytes32 commitment);
    /// @notice The sequencer changed.
    event SequencerChanged(address indexed previousSequencer, address indexed newSequencer);
    /// @notice The verifier list changed.
    event VerifiersChanged(address[] verifiers);

    /// @notice Caller is not the owner.
    error NotOwner(address caller);
    /// @notice Caller is not the sequencer.
    error NotSequencer(address caller);
    /// @notice An address argument (`what`: "owner", "sequencer", "bridge", "verifier") is zero.
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

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Deploys the proposer with batch 0 (genesis) committed and verified.
    /// @dev After deployment the bridge owner must call `CommonBridge(bridge).setProposer(this)`.
    /// @param owner_ The admin (sequencer and verifier changes).
    /// @param sequencer_ The account that commits batches.
    /// @param bridge_ The CommonBridge.
    /// @param l2ChainId_ The L2 chain id.
    /// @param genesisBlockHash The hash of L2 block 0.
    /// @param genesisStateRoot The state root of L2 block 0.
    /// @param verifiers_ The verifiers that must all accept each batch (at least one).
    constructor(
        address owner_,
        address sequencer_,
        address bridge_,
        uint256 l2ChainId_,
        bytes32 genesisBlockHash,
        bytes32 genesisStateRoot,
        address[] memory verifiers_
    ) {
        if (owner_ == address(0)) revert ZeroAddress("owner");
        if (sequencer_ == address(0)) revert ZeroAddress("sequencer");
        if (bridge_ == address(0)) revert ZeroAddress("bridge");
        owner = owner_;
        sequencer = sequencer_;
        bridge = bridge_;
        l2ChainId = l2ChainId_;
        _setVerifiers(verifiers_);

        BatchCommitment storage genesis = batches[0];
        genesis.lastBlockHash = genesisBlockHash;
        genesis.stateRoot = genesisStateRoot;
        // lastCommittedBatch = lastVerifiedBatch = 0: genesis is committed and verified.
        emit SequencerChanged(address(0), sequencer_);
    }

    /// @notice Commits the next batch. Only the sequencer. Consumes `depositCount` deposits from
    ///         the bridge, whose rolling hash must equal `depositsRollingHash`.
    /// @param batchNumber Must be `lastCommittedBatch + 1`.
    /// @param lastBlock The batch's last L2 block; the batch covers previous lastBlock + 1 ..= lastBlock.
    /// @param newStateRoot The state root after `lastBlock`.
    /// @param lastBlockHash The hash of `lastBlock`.
    /// @param withdrawalsRoot_ The Merkle root of the batch's withdrawals (zero if none).
    /// @param depositsRollingHash The rolling hash of the deposits the batch includes (zero if none).
    /// @param depositCount The number of deposits the batch includes, oldest first.
    function commitBatch(
        uint256 batchNumber,
        uint256 lastBlock,
        bytes32 newStateRoot,
        bytes32 lastBlockHash,
        bytes32 withdrawalsRoot_,
        bytes32 depositsRollingHash,
        uint256 depositCount
    ) external {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        uint256 expected = lastCommittedBatch + 1;
        if (batchNumber != expected) revert BatchOutOfOrder(expected, batchNumber);
        BatchCommitment storage prev = batches[batchNumber - 1];
        uint256 prevLastBlock = prev.lastBlock;
        if (lastBlock <= prevLastBlock) revert EmptyBatch(prevLastBlock, lastBlock);
        if (lastBlock > type(uint64).max) revert ValueTooLarge(lastBlock);
        if (depositCount > type(uint64).max) revert ValueTooLarge(depositCount);

        bytes32 got = CommonBridge(payable(bridge)).consumeDeposits(depositCount);
        if (got != depositsRollingHash) revert DepositsMismatch(depositsRollingHash, got);

        bytes32 commitment = keccak256(
            abi.encode(
                batchNumber,
                l2ChainId,
                prevLastBlock + 1,
                lastBlock - prevLastBlock,
                prev.lastBlockHash,
                prev.stateRoot,
                newStateRoot,
                lastBlockHash,
                withdrawalsRoot_,
                depositsRollingHash
            )
        );
        batches[batchNumber] = BatchCommitment({
            firstBlock: uint64(prevLastBlock + 1),
            lastBlock: uint64(lastBlock),
            stateRoot: newStateRoot,
            lastBlockHash: lastBlockHash,
            withdrawalsRoot: withdrawalsRoot_,
            depositsRollingHash: depositsRollingHash,
            depositCount: uint64(depositCount),
            commitment: commitment
        });
        lastCommittedBatch = batchNumber;
        emit BatchCommitted(batchNumber, commitment, newStateRoot, lastBlock);
    }

    /// @notice Verifies the next committed batch. Anyone may call it. Every verifier i must
    ///         accept `(commitment, proofs[i])`, where `commitment` is the stored one.
    /// @param batchNumber Must be `lastVerifiedBatch + 1` and already committed.
    /// @param proofs One proof per verifier, in the order of `verifiers()`.
    function verifyBatch(uint256 batchNumber, bytes[] calldata proofs) external {
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

    /// @notice Replaces the sequencer. Only the owner.
    /// @param newSequencer The new sequencer (nonzero).
    function setSequencer(address newSequencer) external onlyOwner {
        if (newSequencer == address(0)) revert ZeroAddress("sequencer");
        emit SequencerChanged(sequencer, newSequencer);
        sequencer = newSequencer;
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

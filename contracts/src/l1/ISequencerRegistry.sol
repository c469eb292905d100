// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title ISequencerRegistry
/// @notice The L1 registry of Keel's based sequencers: who may commit batches in which L1
///         epoch. The OnChainProposer asks `mayCommit`; nodes read the schedule (`leaderOf`,
///         `activeSequencers`, `nextTurn`) and the epoch clock (`currentEpoch`,
///         `epochStartBlock`) to know when to build and commit.
/// @dev Epochs are counted in L1 blocks from `genesisBlock`:
///      `epochOf(b) = (b - genesisBlock) / epochLength`. The schedule of an epoch is the list of
///      sequencers active in it, in registration order; its leader is entry `epoch % length`
///      (none: `address(0)`). Every change of the schedule (registration, exit) takes effect two
///      epochs after the epoch it is made in, so the schedule of the current and of the next
///      epoch never changes.
interface ISequencerRegistry {
    /// @notice What the registry holds about one sequencer.
    struct SequencerInfo {
        /// @notice Registered and not yet withdrawn (its bond is held).
        bool registered;
        /// @notice It asked to exit (`requestExit`).
        bool exiting;
        /// @notice `withdrawBond` would pay it now.
        bool withdrawable;
        /// @notice The bond held, in wei (zero once withdrawn).
        uint256 bond;
        /// @notice The first epoch it is scheduled in.
        uint256 activeFrom;
        /// @notice The first epoch it is no longer scheduled in (`type(uint256).max` until it
        ///         requests its exit).
        uint256 activeUntil;
        /// @notice When it requested its exit (unix seconds; zero if it did not).
        uint256 exitRequestedAt;
        /// @notice The time from which its bond may be withdrawn, given that the epoch is at
        ///         least `activeUntil` too (`type(uint256).max` while not exiting).
        uint256 unlocksAt;
    }

    /// @notice `sequencer` registered with `bond` wei; it is scheduled from epoch `activeFrom`.
    event Registered(address indexed sequencer, uint256 bond, uint256 activeFrom);
    /// @notice `sequencer` asked to exit: it is scheduled until epoch `activeUntil` (exclusive);
    ///         its bond unlocks at `unlocksAt` (unix seconds), once epoch `activeUntil` has come.
    event ExitRequested(address indexed sequencer, uint256 activeUntil, uint256 unlocksAt);
    /// @notice `sequencer` withdrew its bond of `amount` wei and left the registry.
    event BondWithdrawn(address indexed sequencer, uint256 amount);

    /// @notice A constructor argument (`what`: "minBond", "epochLength", "maxSequencers") is
    ///         out of range.
    error InvalidParameter(string what, uint256 value);
    /// @notice The bond sent is below `minBond`.
    error BondTooSmall(uint256 minBond, uint256 sent);
    /// @notice The caller is registered already (a sequencer withdraws before registering again).
    error AlreadyRegistered(address sequencer);
    /// @notice The registry holds `maxSequencers` sequencers (exiting ones count until they withdraw).
    error RegistryFull(uint256 maxSequencers);
    /// @notice The caller is not registered.
    error NotRegistered(address sequencer);
    /// @notice The caller requested its exit already.
    error AlreadyExiting(address sequencer);
    /// @notice The caller did not request its exit.
    error NotExiting(address sequencer);
    /// @notice The bond is still locked: it unlocks at `unlocksAt` (unix seconds) and once the
    ///         current epoch is at least `activeUntil`.
    error BondLocked(uint256 unlocksAt, uint256 activeUntil);
    /// @notice Paying the bond to the sequencer failed.
    error TransferFailed(address sequencer, uint256 amount);
    /// @notice The L1 block is before the registry's genesis block.
    error BlockBeforeGenesis(uint256 l1Block, uint256 genesisBlock);

    // --- sequencers ---------------------------------------------------------------------------

    /// @notice Registers the caller as a sequencer with `msg.value` (at least `minBond`) as its
    ///         bond. It is scheduled from epoch `currentEpoch() + 2`, after every sequencer
    ///         registered before it.
    function register() external payable;

    /// @notice Starts the caller's exit: it stays scheduled until epoch `currentEpoch() + 2`
    ///         (exclusive), and its bond unlocks `exitDelay` seconds from now, once that epoch
    ///         has come.
    function requestExit() external;

    /// @notice Pays the caller's bond back, once it is unlocked, and removes the caller from
    ///         the registry (it may register again afterwards, as a new sequencer).
    function withdrawBond() external;

    // --- the proposer -------------------------------------------------------------------------

    /// @notice Whether `sender` may commit a batch now: it leads the current epoch, or it is an
    ///         active sequencer of the current epoch and no batch was committed for
    ///         `fallbackAfter` seconds (`block.timestamp >= lastCommitTimestamp + fallbackAfter`).
    /// @param sender The account that commits.
    /// @param lastCommitTimestamp When the last batch was committed (unix seconds).
    /// @return True if `sender` may commit in this block.
    function mayCommit(address sender, uint256 lastCommitTimestamp) external view returns (bool);

    // --- the schedule -------------------------------------------------------------------------

    /// @notice The epoch of the current L1 block.
    /// @return `epochOf(block.number)`.
    function currentEpoch() external view returns (uint256);

    /// @notice The epoch of L1 block `l1Block` (not before `genesisBlock`).
    /// @param l1Block An L1 block number.
    /// @return `(l1Block - genesisBlock) / epochLength`.
    function epochOf(uint256 l1Block) external view returns (uint256);

    /// @notice The first L1 block of `epoch`.
    /// @param epoch An epoch.
    /// @return `genesisBlock + epoch * epochLength`.
    function epochStartBlock(uint256 epoch) external view returns (uint256);

    /// @notice The leader of `epoch`: `activeSequencers(epoch)[epoch % length]`.
    /// @param epoch An epoch (current or later: see `activeSequencers`).
    /// @return The leader, or `address(0)` when no sequencer is active in `epoch`.
    function leaderOf(uint256 epoch) external view returns (address);

    /// @notice The leader of the current epoch.
    /// @return `leaderOf(currentEpoch())`.
    function currentLeader() external view returns (address);

    /// @notice The sequencers scheduled in `epoch`, in registration order: those with
    ///         `activeFrom <= epoch < activeUntil`. Fixed for the current and the next epoch;
    ///         later epochs may still gain or lose sequencers. For a past epoch this is not a
    ///         record: sequencers that withdrew since are no longer in the registry.
    /// @param epoch An epoch.
    /// @return The active sequencers.
    function activeSequencers(uint256 epoch) external view returns (address[] memory);

    /// @notice The first epoch, from the current one on, that `sequencer` leads, as the registry
    ///         stands now (registrations and exits may still change epochs after the next one).
    /// @param sequencer A sequencer.
    /// @return The epoch, or `type(uint256).max` if it leads none.
    function nextTurn(address sequencer) external view returns (uint256);

    /// @notice Whether `sequencer` is registered and has not withdrawn its bond.
    /// @param sequencer An address.
    /// @return True if it is registered.
    function isRegistered(address sequencer) external view returns (bool);

    /// @notice What the registry holds about `sequencer` (all zero if it is not registered).
    /// @param sequencer An address.
    /// @return The sequencer's registration.
    function sequencerInfo(address sequencer) external view returns (SequencerInfo memory);

    /// @notice Every registered sequencer (exiting ones included), in registration order.
    /// @return The sequencers.
    function sequencers() external view returns (address[] memory);

    /// @notice How many sequencers are registered (exiting ones included): at most `maxSequencers`.
    /// @return The count.
    function sequencerCount() external view returns (uint256);

    // --- parameters ---------------------------------------------------------------------------

    /// @notice The smallest bond, in wei.
    function minBond() external view returns (uint256);

    /// @notice Seconds from an exit request until its bond may unlock.
    function exitDelay() external view returns (uint256);

    /// @notice L1 blocks per epoch.
    function epochLength() external view returns (uint256);

    /// @notice Seconds without a commit after which any active sequencer may commit.
    function fallbackAfter() external view returns (uint256);

    /// @notice The most sequencers the registry holds at once.
    function maxSequencers() external view returns (uint256);

    /// @notice The L1 block epoch 0 starts at (the registry's deployment block).
    function genesisBlock() external view returns (uint256);
}

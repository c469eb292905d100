// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ISequencerRegistry} from "./ISequencerRegistry.sol";

/// @title SequencerRegistry
/// @notice Makes the Keel L2 "based": bonded sequencers take turns committing batches, and L1
///         chooses and enforces the turns. Anyone may register with a bond of at least
///         `minBond`; time is cut into epochs of `epochLength` L1 blocks, and each epoch is led
///         by one active sequencer, round robin in registration order. The OnChainProposer asks
///         `mayCommit` before taking a batch: the leader may commit, and when no batch was
///         committed for `fallbackAfter` seconds any active sequencer may, so a silent leader
///         cannot stall the chain (or its withdrawals) for longer than that.
/// @dev Rules, and why:
///      - Lead time. A registration or an exit made in epoch `c` changes the schedule from epoch
///        `c + 2` on: the schedule of an epoch is fixed for the whole epoch before it, so a
///        sequencer knows a full epoch ahead that it leads (to prepare its batch) and nobody can
///        change the current or the next leader by registering or leaving late.
///      - Order. The schedule of epoch `e` is the list of held entries with
///        `activeFrom <= e < activeUntil`, in registration order; its leader is entry
///        `e % length`. Entries only join at the end, and an entry leaves the list (on
///        `withdrawBond`) only once it is no longer scheduled in the current epoch or any later
///        one, so removing it cannot reorder any present or future schedule. Past schedules are
///        not kept: `leaderOf` of a past epoch reflects the entries held now (the events are
///        the record).
///      - One entry per address, the address being the key. A sequencer that exited and
///        withdrew may register again: it is then a new entry, at the end of the order, active
///        two epochs later like any other. Until it withdraws it cannot register again (it
///        cannot cancel an exit either: that would change a schedule less than two epochs
///        ahead).
///      - Exit. `requestExit` in epoch `c` keeps the sequencer scheduled until epoch `c + 2`
///        (exclusive). Its bond unlocks when both `exitDelay` seconds have passed since the
///        request and epoch `activeUntil` has come: a bond backs every epoch its owner was
///        scheduled in (the delay leaves room for a later slashing or challenge rule).
///      - Bounded gas. At most `maxSequencers` entries are held (exiting ones count until they
///        withdraw, so a slot is always backed by a locked bond), and `maxSequencers` is at most
///        `MAX_SEQUENCERS_LIMIT`: every loop runs over the held entries, each packed in one
///        storage word, so `mayCommit` reads at most `maxSequencers + 1` storage words (about
///        2,700 gas per held sequencer, cold: some 175,000 at 64). `minBond` must be positive, or
///        anyone could fill every slot for free and lock registration forever.
///      - No owner. Nothing here can be changed by an administrator: the schedule follows only
///        from the sequencers' own registrations and exits.
///      - Liveness. The fallback requires an active sequencer, so with nobody registered nobody
///        commits; but registration is permissionless, so anyone may post a bond and commit
///        from two epochs later. The first sequencers of a new registry are scheduled from
///        epoch 2: deploy it at least two epochs before the proposer starts asking it.
contract SequencerRegistry is ISequencerRegistry {
    /// @notice The largest `maxSequencers` a registry may be deployed with (bounds the gas of
    ///         every call).
    uint256 public constant MAX_SEQUENCERS_LIMIT = 128;

    /// @dev `activeUntil` of an entry that has not requested its exit.
    uint48 private constant NEVER = type(uint48).max;

    /// @dev A held entry of the schedule, in one storage word (a loop reads one word per entry).
    ///      Epochs fit in 48 bits: an epoch is at most an L1 block number.
    struct Entry {
        address sequencer;
        uint48 activeFrom;
        uint48 activeUntil;
    }

    /// @dev The rest of a sequencer's registration.
    struct Account {
        uint256 bond;
        uint64 exitRequestedAt;
        bool registered;
        bool exiting;
    }

    /// @inheritdoc ISequencerRegistry
    uint256 public immutable minBond;
    /// @inheritdoc ISequencerRegistry
    uint256 public immutable exitDelay;
    /// @inheritdoc ISequencerRegistry
    uint256 public immutable epochLength;
    /// @inheritdoc ISequencerRegistry
    uint256 public immutable fallbackAfter;
    /// @inheritdoc ISequencerRegistry
    uint256 public immutable maxSequencers;
    /// @inheritdoc ISequencerRegistry
    uint256 public immutable genesisBlock;

    /// @dev The held entries (registered, not yet withdrawn), in registration order.
    Entry[] private _entries;
    /// @dev The registration of each held sequencer (deleted on withdrawal).
    mapping(address sequencer => Account) private _accounts;

    /// @notice Deploys the registry; epoch 0 starts at this block.
    /// @param minBond_ The smallest bond, in wei (positive).
    /// @param exitDelay_ Seconds from an exit request until its bond may unlock.
    /// @param epochLength_ L1 blocks per epoch (positive).
    /// @param fallbackAfter_ Seconds without a commit after which any active sequencer may
    ///        commit (zero: any active sequencer may always commit).
    /// @param maxSequencers_ The most sequencers held at once (1 ..= `MAX_SEQUENCERS_LIMIT`).
    constructor(
        uint256 minBond_,
        uint256 exitDelay_,
        uint256 epochLength_,
        uint256 fallbackAfter_,
        uint256 maxSequencers_
    ) {
        if (minBond_ == 0) revert InvalidParameter("minBond", minBond_);
        if (epochLength_ == 0) revert InvalidParameter("epochLength", epochLength_);
        if (maxSequencers_ == 0 || maxSequencers_ > MAX_SEQUENCERS_LIMIT) {
            revert InvalidParameter("maxSequencers", maxSequencers_);
        }
        minBond = minBond_;
        exitDelay = exitDelay_;
        epochLength = epochLength_;
        fallbackAfter = fallbackAfter_;
        maxSequencers = maxSequencers_;
        genesisBlock = block.number;
    }

    // --- sequencers ---------------------------------------------------------------------------

    /// @inheritdoc ISequencerRegistry
    /// @dev Reverts `AlreadyRegistered` (withdraw first), `BondTooSmall` or `RegistryFull`.
    function register() external payable {
        address sequencer = msg.sender;
        if (_accounts[sequencer].registered) revert AlreadyRegistered(sequencer);
        if (msg.value < minBond) revert BondTooSmall(minBond, msg.value);
        if (_entries.length >= maxSequencers) revert RegistryFull(maxSequencers);

        uint256 activeFrom = currentEpoch() + 2;
        _entries.push(Entry({sequencer: sequencer, activeFrom: SafeCast.toUint48(activeFrom), activeUntil: NEVER}));
        _accounts[sequencer] = Account({bond: msg.value, exitRequestedAt: 0, registered: true, exiting: false});
        emit Registered(sequencer, msg.value, activeFrom);
    }

    /// @inheritdoc ISequencerRegistry
    /// @dev Reverts `NotRegistered` or `AlreadyExiting`. A sequencer that registered in the
    ///      current epoch gets `activeUntil == activeFrom`: it is never scheduled.
    function requestExit() external {
        address sequencer = msg.sender;
        Account storage account = _accounts[sequencer];
        if (!account.registered) revert NotRegistered(sequencer);
        if (account.exiting) revert AlreadyExiting(sequencer);

        // activeFrom <= (registration epoch) + 2 <= currentEpoch() + 2 = activeUntil.
        uint256 activeUntil = currentEpoch() + 2;
        _entries[_indexOf(sequencer)].activeUntil = SafeCast.toUint48(activeUntil);
        account.exiting = true;
        account.exitRequestedAt = SafeCast.toUint64(block.timestamp);
        emit ExitRequested(sequencer, activeUntil, _unlocksAt(block.timestamp));
    }

    /// @inheritdoc ISequencerRegistry
    /// @dev Reverts `NotRegistered`, `NotExiting`, `BondLocked`, or `TransferFailed` when the
    ///      caller does not take the ETH (nothing changes then; it may retry). Checks, effects,
    ///      interactions: the registration is gone before the bond is sent, so a reentrant call
    ///      sees an unregistered caller.
    function withdrawBond() external {
        address sequencer = msg.sender;
        Account memory account = _accounts[sequencer];
        if (!account.registered) revert NotRegistered(sequencer);
        if (!account.exiting) revert NotExiting(sequencer);
        uint256 index = _indexOf(sequencer);
        uint256 activeUntil = _entries[index].activeUntil;
        uint256 unlocksAt = _unlocksAt(account.exitRequestedAt);
        if (block.timestamp < unlocksAt || currentEpoch() < activeUntil) revert BondLocked(unlocksAt, activeUntil);

        delete _accounts[sequencer];
        // Remove the entry keeping the others' order. It is not scheduled in the current epoch
        // or later (currentEpoch() >= activeUntil), so no present or future schedule changes.
        uint256 last = _entries.length - 1;
        for (uint256 i = index; i < last; ++i) {
            _entries[i] = _entries[i + 1];
        }
        _entries.pop();
        emit BondWithdrawn(sequencer, account.bond);

        (bool ok,) = sequencer.call{value: account.bond}("");
        if (!ok) revert TransferFailed(sequencer, account.bond);
    }

    // --- the proposer -------------------------------------------------------------------------

    /// @inheritdoc ISequencerRegistry
    /// @dev `address(0)` may never commit. A `lastCommitTimestamp` in the future never opens
    ///      the fallback. Reads the held entries once: at most `maxSequencers + 1` storage words.
    function mayCommit(address sender, uint256 lastCommitTimestamp) external view returns (bool) {
        if (sender == address(0)) return false;
        uint256 epoch = currentEpoch();
        address[] memory active = activeSequencers(epoch);
        uint256 n = active.length;
        if (n == 0) return false;
        if (active[epoch % n] == sender) return true;
        if (lastCommitTimestamp > block.timestamp || block.timestamp - lastCommitTimestamp < fallbackAfter) {
            return false;
        }
        for (uint256 i = 0; i < n; ++i) {
            if (active[i] == sender) return true;
        }
        return false;
    }

    // --- the schedule -------------------------------------------------------------------------

    /// @inheritdoc ISequencerRegistry
    function currentEpoch() public view returns (uint256) {
        return (block.number - genesisBlock) / epochLength;
    }

    /// @inheritdoc ISequencerRegistry
    /// @dev Reverts `BlockBeforeGenesis` for a block before `genesisBlock`.
    function epochOf(uint256 l1Block) external view returns (uint256) {
        if (l1Block < genesisBlock) revert BlockBeforeGenesis(l1Block, genesisBlock);
        return (l1Block - genesisBlock) / epochLength;
    }

    /// @inheritdoc ISequencerRegistry
    /// @dev Reverts (overflow) for an epoch whose start is past `type(uint256).max`, e.g. the
    ///      `type(uint256).max` that `nextTurn` returns for "never".
    function epochStartBlock(uint256 epoch) external view returns (uint256) {
        return genesisBlock + epoch * epochLength;
    }

    /// @inheritdoc ISequencerRegistry
    function leaderOf(uint256 epoch) public view returns (address) {
        address[] memory active = activeSequencers(epoch);
        uint256 n = active.length;
        return n == 0 ? address(0) : active[epoch % n];
    }

    /// @inheritdoc ISequencerRegistry
    function currentLeader() external view returns (address) {
        return leaderOf(currentEpoch());
    }

    /// @inheritdoc ISequencerRegistry
    function activeSequencers(uint256 epoch) public view returns (address[] memory active) {
        uint256 n = _entries.length;
        active = new address[](n);
        uint256 count = 0;
        uint256 base = _entriesBase();
        for (uint256 i = 0; i < n; ++i) {
            (address sequencer, uint256 from, uint256 until) = _loadEntry(base, i);
            if (from <= epoch && (until == NEVER || epoch < until)) active[count++] = sequencer;
        }
        // Shrink the array to the active ones (count <= n: the memory stays allocated).
        assembly ("memory-safe") {
            mstore(active, count)
        }
    }

    /// @inheritdoc ISequencerRegistry
    /// @dev Exact, with no search window: the schedule only changes at the held entries'
    ///      `activeFrom`/`activeUntil` epochs, so it is constant on at most
    ///      `2 * sequencerCount() + 1` spans of epochs; on a span where `sequencer` is entry `k`
    ///      of `m`, its first turn from epoch `e` is the first `t >= e` with `t % m == k`. After
    ///      the last change the schedule repeats forever: a sequencer active there leads within
    ///      `m` epochs, one that is not never leads again.
    function nextTurn(address sequencer) external view returns (uint256) {
        if (!_accounts[sequencer].registered) return type(uint256).max;
        Entry[] memory entries = _entries;
        uint256 n = entries.length;
        uint256 epoch = currentEpoch();
        // One pass per span of constant schedule: at most 2n changes, so 2n + 1 spans.
        for (uint256 span = 0; span <= 2 * n; ++span) {
            uint256 count = 0; // active entries at `epoch`
            uint256 position = type(uint256).max; // `sequencer`'s index among them
            uint256 nextChange = type(uint256).max; // the first later epoch whose schedule differs
            for (uint256 i = 0; i < n; ++i) {
                Entry memory entry = entries[i];
                uint256 from = entry.activeFrom;
                uint256 until = entry.activeUntil == NEVER ? type(uint256).max : entry.activeUntil;
                if (from > epoch && from < nextChange) nextChange = from;
                if (until > epoch && until < nextChange) nextChange = until;
                if (from <= epoch && epoch < until) {
                    if (entry.sequencer == sequencer) position = count;
                    ++count;
                }
            }
            if (position != type(uint256).max) {
                uint256 r = epoch % count;
                uint256 turn = epoch + (position >= r ? position - r : count - r + position);
                if (turn < nextChange) return turn;
            }
            if (nextChange == type(uint256).max) break;
            epoch = nextChange;
        }
        return type(uint256).max;
    }

    /// @inheritdoc ISequencerRegistry
    function isRegistered(address sequencer) external view returns (bool) {
        return _accounts[sequencer].registered;
    }

    /// @inheritdoc ISequencerRegistry
    function sequencerInfo(address sequencer) external view returns (SequencerInfo memory info) {
        Account memory account = _accounts[sequencer];
        if (!account.registered) return info;
        Entry memory entry = _entries[_indexOf(sequencer)];
        info.registered = true;
        info.exiting = account.exiting;
        info.bond = account.bond;
        info.activeFrom = entry.activeFrom;
        info.activeUntil = entry.activeUntil == NEVER ? type(uint256).max : entry.activeUntil;
        if (account.exiting) {
            info.exitRequestedAt = account.exitRequestedAt;
            info.unlocksAt = _unlocksAt(account.exitRequestedAt);
            info.withdrawable = block.timestamp >= info.unlocksAt && currentEpoch() >= info.activeUntil;
        } else {
            info.unlocksAt = type(uint256).max;
        }
    }

    /// @inheritdoc ISequencerRegistry
    function sequencers() external view returns (address[] memory list) {
        uint256 n = _entries.length;
        list = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            list[i] = _entries[i].sequencer;
        }
    }

    /// @inheritdoc ISequencerRegistry
    function sequencerCount() external view returns (uint256) {
        return _entries.length;
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev The storage slot of `_entries[0]` (entry `i` is the one word at `base + i`).
    function _entriesBase() private pure returns (uint256 base) {
        assembly ("memory-safe") {
            mstore(0x00, _entries.slot)
            base := keccak256(0x00, 0x20)
        }
    }

    /// @dev Entry `i` (below `_entries.length`), read as its one storage word: `Entry` packs
    ///      `sequencer` in bits 0..159, `activeFrom` in 160..207 and `activeUntil` in 208..255.
    ///      One SLOAD, no bounds check or slot hash per entry: what keeps `mayCommit` cheap.
    function _loadEntry(uint256 base, uint256 i)
        private
        view
        returns (address sequencer, uint256 activeFrom, uint256 activeUntil)
    {
        uint256 word;
        assembly ("memory-safe") {
            word := sload(add(base, i))
        }
        sequencer = address(uint160(word));
        activeFrom = uint48(word >> 160);
        activeUntil = uint48(word >> 208);
    }

    /// @dev The index of a held sequencer's entry (the caller checked that it is registered).
    function _indexOf(address sequencer) private view returns (uint256) {
        uint256 n = _entries.length;
        uint256 base = _entriesBase();
        for (uint256 i = 0; i < n; ++i) {
            (address held,,) = _loadEntry(base, i);
            if (held == sequencer) return i;
        }
        // Unreachable for a registered sequencer: every held account has exactly one entry.
        revert NotRegistered(sequencer);
    }

    /// @dev When the bond of an exit requested at `requestedAt` unlocks (saturating: a huge
    ///      `exitDelay` means never).
    function _unlocksAt(uint256 requestedAt) private view returns (uint256) {
        uint256 delay = exitDelay;
        return delay > type(uint256).max - requestedAt ? type(uint256).max : requestedAt + delay;
    }
}

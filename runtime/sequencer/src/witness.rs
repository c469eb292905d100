//! Recording a block's witness while the proposer builds it: what execution read from the
//! pre-state (accounts, slots, codes, BLOCKHASH), then the trie nodes on those paths and on the
//! paths the state-root update walked.

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet},
};

use alloy_primitives::{
    Address, B256, Bytes, U256,
    map::{B256Map, B256Set},
};
use keel_primitives::{StateReader, TrieAccount};
use keel_stf::{WitnessError, WitnessState};
use keel_storage::BlockWitness;
use keel_trie::{NodeReader, RecordingReader};

/// A [`StateReader`] that remembers every account, slot, code and block hash read through it.
///
/// The node reads state from its flat tables; a prover reads the same values through the trie.
/// [`Self::into_witness`] walks the trie paths of everything read here, so the witness holds
/// exactly what the prover's reads will need.
#[derive(Debug)]
pub(crate) struct RecordingState<R> {
    inner: R,
    reads: RefCell<Reads>,
}

#[derive(Debug, Default)]
struct Reads {
    accounts: BTreeSet<Address>,
    slots: BTreeSet<(Address, U256)>,
    codes: B256Map<Bytes>,
    block_hashes: BTreeSet<u64>,
}

impl<R: StateReader> RecordingState<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            reads: RefCell::default(),
        }
    }

    /// The block's witness: the nodes `nodes` served while the block's state root was computed,
    /// plus the trie paths (at `pre_root`) of every account and slot read. Nodes and codes in
    /// `known` (created by earlier blocks of the same batch, which the prover recomputes) are
    /// left out.
    pub(crate) fn into_witness<N: NodeReader>(
        self,
        nodes: &RecordingReader<N>,
        pre_root: B256,
        known: &KnownToBatch,
    ) -> Result<BlockWitness, WitnessError> {
        let reads = self.reads.into_inner();
        // Replay the reads exactly as the prover's STF will make them: through its own
        // `WitnessState`, over the recording reader. Accounts and slots only walk the trie;
        // codes and block hashes come from `reads`, so the replay is given none.
        let (no_codes, no_hashes) = (B256Map::default(), BTreeMap::new());
        let replay = WitnessState::new(nodes, pre_root, &no_codes, &no_hashes);
        for address in &reads.accounts {
            replay.account(address)?;
        }
        for (address, slot) in &reads.slots {
            replay.storage(address, slot)?;
        }
        Ok(BlockWitness {
            nodes: nodes
                .take_recorded()
                .into_iter()
                .filter(|(hash, _)| !known.nodes.contains(hash))
                .map(|(_, node)| node)
                .collect(),
            codes: reads
                .codes
                .into_iter()
                .filter(|(hash, _)| !known.codes.contains(hash))
                .map(|(_, code)| code)
                .collect(),
            block_hashes_read: reads.block_hashes.into_iter().collect(),
        })
    }
}

impl<R: StateReader> StateReader for RecordingState<R> {
    type Error = R::Error;

    fn account(&self, address: &Address) -> Result<Option<TrieAccount>, Self::Error> {
        self.reads.borrow_mut().accounts.insert(*address);
        self.inner.account(address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, Self::Error> {
        self.reads.borrow_mut().slots.insert((*address, *slot));
        self.inner.storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, Self::Error> {
        let code = self.inner.code(code_hash)?;
        if let Some(code) = &code {
            self.reads
                .borrow_mut()
                .codes
                .insert(*code_hash, code.clone());
        }
        Ok(code)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, Self::Error> {
        self.reads.borrow_mut().block_hashes.insert(number);
        self.inner.block_hash(number)
    }
}

/// Trie nodes and codes the open batch's blocks created: a prover recomputes them, so later
/// blocks of the batch leave them out of their witness. Kept in memory only: after a restart
/// the open batch's next blocks include them again (a larger witness, never a wrong one).
#[derive(Debug, Default)]
pub(crate) struct KnownToBatch {
    nodes: B256Set,
    codes: B256Set,
}

impl KnownToBatch {
    /// Adds what a block created.
    pub(crate) fn add(&mut self, nodes: &[(B256, Bytes)], codes: &[(B256, Bytes)]) {
        self.nodes.extend(nodes.iter().map(|(hash, _)| *hash));
        self.codes.extend(codes.iter().map(|(hash, _)| *hash));
    }
}

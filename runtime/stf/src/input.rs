//! What a prover is given: [`ProverInput`], and its compact binary form (RLP).

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use keel_primitives::ChainSpec;

use crate::StfError;

/// Everything needed to re-execute one batch without a database.
///
/// Nothing in it is trusted except `parent`, whose hash and state root the batch output
/// reports (the verifier checks them against the previous batch): ancestors are checked by
/// their hash links, witness nodes and codes are keyed by their own hashes, transactions by
/// their signatures, and every block is built from the frame L1 holds: the blob hashes are the
/// prover's claim, bound in the output, which L1 compares with the blobs it saw.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ProverInput {
    /// The chain's execution parameters.
    pub spec: ChainSpec,
    /// The batch's number (reported in the output, where the settlement contract checks it).
    pub batch_number: u64,
    /// The header of the block before the batch's first block.
    pub parent: Header,
    /// Headers before `parent` that BLOCKHASH reaches, oldest first, each the parent of the
    /// next; the last is `parent`'s parent. Empty when no block of the batch reads an ancestor
    /// older than `parent`.
    pub ancestors: Vec<Header>,
    /// The batch's payload frame (`keel_da::Frame`): its blocks, as the batch's blobs carry
    /// them.
    pub frame: Bytes,
    /// The versioned hashes of the blobs carrying `frame`, one per blob it fills; none for a
    /// validium batch.
    pub blob_hashes: Vec<B256>,
    /// The pre-state the blocks read.
    pub witness: Witness,
}

/// The part of the pre-state a batch touches.
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Witness {
    /// RLP trie nodes (account trie and storage tries), each once, in any order: every node on
    /// the path of each account and slot the batch reads or writes, below the batch's
    /// pre-state root, that the batch does not create itself.
    pub nodes: Vec<Bytes>,
    /// The bytecode of every contract the batch runs or reads that existed before it.
    pub codes: Vec<Bytes>,
}

impl ProverInput {
    /// The compact binary form: RLP of the whole input.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.length());
        Encodable::encode(self, &mut out);
        out
    }

    /// Decodes [`Self::encode`]'s output; trailing bytes are an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, StfError> {
        let mut buf = bytes;
        let input = <Self as Decodable>::decode(&mut buf).map_err(StfError::Decode)?;
        if !buf.is_empty() {
            return Err(StfError::TrailingBytes(buf.len() as u64));
        }
        Ok(input)
    }

    /// The number of the batch's first block.
    pub fn first_block(&self) -> u64 {
        self.parent.number + 1
    }
}

impl Witness {
    /// The witness size in bytes (nodes and codes, without framing).
    pub fn byte_len(&self) -> u64 {
        self.nodes
            .iter()
            .chain(&self.codes)
            .map(|item| item.len() as u64)
            .sum()
    }
}

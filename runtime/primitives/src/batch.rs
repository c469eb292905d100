//! Batches: what a proof attests ([`BatchOutput`] and its 32-byte commitment), and the records
//! the node keeps of each — the sealed [`Batch`], a prover's [`Lease`], the accepted
//! [`StoredProof`].

use alloy_primitives::{B256, Bytes, FixedBytes, keccak256};
use alloy_rlp::{RlpDecodable, RlpEncodable};

/// The withdrawals root of a batch that has no withdrawals (the bridge never accepts a claim
/// against it).
pub const NO_WITHDRAWALS: B256 = B256::ZERO;

/// The deposits rolling hash of a batch that includes no deposit (see [`NO_WITHDRAWALS`]).
pub const NO_DEPOSITS: B256 = B256::ZERO;

/// The blobs hash of a batch posted without blobs (validium): no data on L1, nothing bound.
pub const VALIDIUM: B256 = B256::ZERO;

/// Where a chain's batch data goes; chosen at deployment, never changed after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataAvailability {
    /// EIP-4844 blobs, bound to every proof: anyone can rebuild the chain from L1.
    #[default]
    Blobs,
    /// No data on L1 (explicitly chosen): only the sequencer holds the blocks.
    Validium,
}

impl DataAvailability {
    /// Its name in configs and deployment files.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Blobs => "blobs",
            Self::Validium => "validium",
        }
    }
}

impl core::fmt::Display for DataAvailability {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// What binds one blob to a batch commitment: its versioned hash, the challenge point and the
/// blob polynomial's value there (see `keel-da`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlobBinding {
    /// `0x01 ‖ sha256(kzg commitment)[1..]`, what `blobhash(i)` returns on L1.
    pub versioned_hash: B256,
    /// The challenge point.
    pub z: B256,
    /// The blob polynomial at `z`.
    pub y: B256,
}

/// The word a batch commitment carries for its blobs: `keccak256(vh₀ ‖ z₀ ‖ y₀ ‖ vh₁ ‖ …)`
/// (Solidity's `keccak256(abi.encodePacked(…))`), or [`VALIDIUM`] for none.
pub fn blobs_hash(bindings: &[BlobBinding]) -> B256 {
    if bindings.is_empty() {
        return VALIDIUM;
    }
    let mut packed = Vec::with_capacity(bindings.len() * 96);
    for binding in bindings {
        packed.extend_from_slice(binding.versioned_hash.as_slice());
        packed.extend_from_slice(binding.z.as_slice());
        packed.extend_from_slice(binding.y.as_slice());
    }
    keccak256(packed)
}

/// A blob of a sealed batch as its commit posts it: the binding the proof attests, and the KZG
/// commitment and opening proof L1's point-evaluation precompile checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct PostedBlob {
    /// Versioned hash, challenge and value.
    pub binding: BlobBinding,
    /// The blob's KZG commitment.
    pub commitment: FixedBytes<48>,
    /// The KZG proof of `binding.y = p(binding.z)`.
    pub proof: FixedBytes<48>,
}

/// The result of re-executing a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BatchOutput {
    /// The batch's number.
    pub batch_number: u64,
    /// The chain spec the blocks were executed under ([`crate::ChainSpec::hash`]: chain id,
    /// fee rules and block bounds), pinned on L1.
    pub chain_spec_hash: B256,
    /// The first block of the batch.
    pub first_block: u64,
    /// The number of blocks.
    pub block_count: u64,
    /// The hash of the block before the batch (the previous batch's `last_block_hash`).
    pub parent_block_hash: B256,
    /// The state root before the batch.
    pub pre_state_root: B256,
    /// The state root after the batch's last block.
    pub post_state_root: B256,
    /// The hash of the batch's last block.
    pub last_block_hash: B256,
    /// The timestamp of the batch's last block: the batch's L2 time, against which L1 measures
    /// deposit deadlines (`CommonBridge.consumeDeposits`).
    pub last_block_timestamp: u64,
    /// The Merkle root of the withdrawals the batch made ([`crate::WithdrawalTree`]).
    pub withdrawals_root: B256,
    /// The rolling hash of the deposits the batch consumed
    /// ([`crate::bridge::DepositsRollingHash`]).
    pub deposits_rolling_hash: B256,
    /// The blobs the batch's data was posted in ([`blobs_hash`]; [`VALIDIUM`] for none).
    pub blobs_hash: B256,
}

impl BatchOutput {
    /// The number of words in [`Self::abi_words`].
    pub const WORDS: usize = 12;

    /// The output as twelve 32-byte words, in field order, integers big endian: exactly what
    /// Solidity's `abi.encode` of the same fields (as `uint256` and `bytes32`) produces, so the
    /// settlement contract can rebuild the commitment from what it stores.
    pub fn abi_words(&self) -> [u8; 32 * Self::WORDS] {
        let words: [B256; Self::WORDS] = [
            word(self.batch_number),
            self.chain_spec_hash,
            word(self.first_block),
            word(self.block_count),
            self.parent_block_hash,
            self.pre_state_root,
            self.post_state_root,
            self.last_block_hash,
            word(self.last_block_timestamp),
            self.withdrawals_root,
            self.deposits_rolling_hash,
            self.blobs_hash,
        ];
        let mut out = [0u8; 32 * Self::WORDS];
        for (chunk, word) in out.chunks_exact_mut(32).zip(words) {
            chunk.copy_from_slice(word.as_slice());
        }
        out
    }

    /// The commitment a proof attests: `keccak256(abi.encode(fields…))`.
    pub fn commitment(&self) -> B256 {
        keccak256(self.abi_words())
    }

    /// The number of the batch's last block.
    pub fn last_block(&self) -> u64 {
        self.first_block + self.block_count.saturating_sub(1)
    }
}

fn word(value: u64) -> B256 {
    let mut word = B256::ZERO;
    word[24..].copy_from_slice(&value.to_be_bytes());
    word
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;

    #[test]
    fn commitment_is_keccak_of_abi_words() {
        let output = BatchOutput {
            batch_number: 1,
            chain_spec_hash: B256::repeat_byte(0x66),
            first_block: 1,
            block_count: 2,
            parent_block_hash: B256::repeat_byte(0x11),
            pre_state_root: B256::repeat_byte(0x22),
            post_state_root: B256::repeat_byte(0x33),
            last_block_hash: B256::repeat_byte(0x44),
            last_block_timestamp: 1_700_000_000,
            withdrawals_root: NO_WITHDRAWALS,
            deposits_rolling_hash: NO_DEPOSITS,
            blobs_hash: B256::repeat_byte(0x55),
        };
        let words = output.abi_words();
        assert_eq!(&words[..32], word(1).as_slice());
        assert_eq!(&words[32..64], &[0x66; 32]);
        assert_eq!(&words[32 * 4..32 * 5], &[0x11; 32]);
        assert_eq!(output.commitment(), keccak256(words));
        assert_eq!(output.last_block(), 2);
        // Pinned, so a change of layout is a deliberate change of this test and of the
        // settlement contract (whose e2e tests rebuild commitments of their own).
        assert_eq!(
            output.commitment(),
            b256!("cbe40139f6bb5a156a9548d38bebffe05a7e411f8e0354010730d4e0f842000c")
        );
    }
}

/// A sealed batch: a run of consecutive blocks proven together.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Batch {
    /// The batch number (1, 2, …).
    pub number: u64,
    /// Its first block.
    pub first_block: u64,
    /// Its last block.
    pub last_block: u64,
    /// Gas used by its blocks.
    pub gas_used: u64,
    /// Transactions in its blocks.
    pub transactions: u64,
    /// Witness bytes (trie nodes and codes) in its prover input.
    pub witness_bytes: u64,
    /// The size of its encoded prover input.
    pub input_bytes: u64,
    /// When it was sealed, Unix milliseconds.
    pub sealed_at_ms: u64,
    /// L1 deposits its blocks include (what `commitBatch` consumes from the bridge's queue).
    pub deposits: u64,
    /// What its proof must attest, as the node computed it.
    pub output: BatchOutput,
    /// The blobs its commit posts (none for a validium batch).
    pub blobs: Vec<PostedBlob>,
}

/// A batch handed to one prover until `expires_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Lease {
    /// The batch.
    pub batch: u64,
    /// Identifies this lease; a proof must quote it.
    pub lease_id: u64,
    /// The prover's self-chosen name, for logs.
    pub prover: String,
    /// The prover's backend.
    pub backend: crate::BackendKind,
    /// When the lease lapses and the batch may go to another prover, Unix milliseconds.
    pub expires_at_ms: u64,
}

/// A proof the coordinator accepted.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredProof {
    /// The batch.
    pub batch: u64,
    /// The backend that made it (`exec`: no cryptographic proof, development only).
    pub backend: crate::BackendKind,
    /// The backend's program version (for `openvm`, the program commitment).
    pub program_version: String,
    /// The prover's name.
    pub prover: String,
    /// The output the prover computed (equal to the batch's).
    pub output: BatchOutput,
    /// The proof bytes (empty for `exec`).
    pub proof: Bytes,
    /// When it was accepted, Unix milliseconds.
    pub received_at_ms: u64,
    /// How long the prover said proving took, milliseconds.
    pub proving_ms: u64,
}

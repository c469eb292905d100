//! KZG commitments and openings of a batch's blobs (c-kzg, Ethereum's trusted setup): what the
//! node posts with a commit, what L1's point-evaluation precompile checks, and what a follower
//! checks blobs fetched from a beacon node against.

use alloy_primitives::{B256, FixedBytes};
use sha2::{Digest, Sha256};

use keel_primitives::PostedBlob;

use crate::{Blob, DaError, Frame, bind_blobs, to_blobs};

/// `0x01 ‖ sha256(commitment)[1..]` (EIP-4844's `kzg_to_versioned_hash`).
pub fn versioned_hash(commitment: &[u8; 48]) -> B256 {
    let mut hash: [u8; 32] = Sha256::digest(commitment).into();
    hash[0] = 0x01;
    B256::from(hash)
}

fn settings() -> &'static c_kzg::KzgSettings {
    c_kzg::ethereum_kzg_settings(0)
}

/// Loads Ethereum's trusted setup now. c-kzg loads it on first use, which takes seconds on a
/// small machine: a node calls this at start, off its critical path, so that the first batch it
/// seals or checks does not stall block production behind it.
pub fn load_trusted_setup() {
    settings();
}

fn kzg_error(error: c_kzg::Error) -> DaError {
    DaError::Kzg(format!("{error:?}"))
}

/// `blob` as c-kzg's type, on the heap: a blob is 128 KiB, and c-kzg's own C frames already
/// take a good part of a 2 MiB thread stack.
fn c_blob(blob: &Blob) -> Box<c_kzg::Blob> {
    let mut boxed = Box::new(c_kzg::Blob::new([0; crate::BLOB_BYTES]));
    boxed.copy_from_slice(&blob.0[..]);
    boxed
}

/// The KZG commitment of `blob`.
fn commitment(blob: &c_kzg::Blob) -> Result<[u8; 48], DaError> {
    let commitment = settings().blob_to_kzg_commitment(blob).map_err(kzg_error)?;
    Ok(*commitment.to_bytes().as_ref())
}

/// The versioned hash of `blob` (commits to it first): what a follower compares with the hash
/// L1 recorded for a blob it fetched.
pub fn blob_versioned_hash(blob: &Blob) -> Result<B256, DaError> {
    Ok(versioned_hash(&commitment(&c_blob(blob))?))
}

/// Commits to `frame`'s blobs and opens each at its challenge. The opening's value is checked
/// against this crate's own evaluation, the one the proof makes: a disagreement is a bug that
/// must never reach L1.
pub fn commit_blobs(frame: &Frame) -> Result<Vec<PostedBlob>, DaError> {
    let blobs = to_blobs(frame);
    let mut commitments = Vec::with_capacity(blobs.len());
    let mut hashes = Vec::with_capacity(blobs.len());
    for blob in &blobs {
        let c_blob = c_blob(blob);
        let bytes = commitment(&c_blob)?;
        hashes.push(versioned_hash(&bytes));
        commitments.push((c_blob, bytes));
    }
    let bindings = bind_blobs(frame, &hashes)?;
    commitments
        .into_iter()
        .zip(bindings)
        .map(|((c_blob, commitment), binding)| {
            let (proof, y) = settings()
                .compute_kzg_proof(&c_blob, &c_kzg::Bytes32::new(binding.z.0))
                .map_err(kzg_error)?;
            if B256::from(*y) != binding.y {
                return Err(DaError::Kzg(format!(
                    "c-kzg evaluates the blob to {} at {}, the evaluation here to {}",
                    B256::from(*y),
                    binding.z,
                    binding.y
                )));
            }
            Ok(PostedBlob {
                binding,
                commitment: FixedBytes(commitment),
                proof: FixedBytes(*proof.to_bytes().as_ref()),
            })
        })
        .collect()
}

/// What an EIP-4844 transaction carries beside its fields on the network: the blobs, their
/// commitments and each blob's KZG proof (the one the L1 node checks before taking it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sidecar {
    /// The blobs, in order.
    pub blobs: Vec<Blob>,
    /// Their KZG commitments.
    pub commitments: Vec<FixedBytes<48>>,
    /// Their blob KZG proofs.
    pub proofs: Vec<FixedBytes<48>>,
}

impl Sidecar {
    /// The blobs' versioned hashes, in order.
    pub fn versioned_hashes(&self) -> Vec<B256> {
        self.commitments
            .iter()
            .map(|c| versioned_hash(&c.0))
            .collect()
    }
}

/// The sidecar that posts `frame`.
pub fn sidecar(frame: &Frame) -> Result<Sidecar, DaError> {
    let blobs = to_blobs(frame);
    let mut commitments = Vec::with_capacity(blobs.len());
    let mut proofs = Vec::with_capacity(blobs.len());
    for blob in &blobs {
        let c_blob = c_blob(blob);
        let bytes = commitment(&c_blob)?;
        let proof = settings()
            .compute_blob_kzg_proof(&c_blob, &c_kzg::Bytes48::new(bytes))
            .map_err(kzg_error)?;
        commitments.push(FixedBytes(bytes));
        proofs.push(FixedBytes(*proof.to_bytes().as_ref()));
    }
    Ok(Sidecar {
        blobs,
        commitments,
        proofs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sidecar_commits_to_the_posted_blobs() {
        let frame = Frame::new(crate::Codec::None, 200_000, &vec![7u8; 200_000]);
        let posted = commit_blobs(&frame).unwrap();
        let sidecar = sidecar(&frame).unwrap();
        assert_eq!(sidecar.blobs.len(), 2);
        let hashes: Vec<B256> = posted.iter().map(|p| p.binding.versioned_hash).collect();
        assert_eq!(sidecar.versioned_hashes(), hashes);
        for (blob, hash) in sidecar.blobs.iter().zip(&hashes) {
            assert_eq!(blob_versioned_hash(blob).unwrap(), *hash);
        }
        let settings = settings();
        for i in 0..2 {
            let ok = settings
                .verify_blob_kzg_proof(
                    &c_blob(&sidecar.blobs[i]),
                    &c_kzg::Bytes48::new(sidecar.commitments[i].0),
                    &c_kzg::Bytes48::new(sidecar.proofs[i].0),
                )
                .unwrap();
            assert!(ok);
        }
    }
}

//! KZG commitments and openings of a batch's blobs (c-kzg, Ethereum's trusted setup): what the
//! node posts with a commit and what L1's point-evaluation precompile checks.

use alloy_primitives::{B256, FixedBytes};
use sha2::{Digest, Sha256};

use keel_primitives::PostedBlob;

use crate::{DaError, Frame, bind_blobs, to_blobs};

/// `0x01 ‖ sha256(commitment)[1..]` (EIP-4844's `kzg_to_versioned_hash`).
pub fn versioned_hash(commitment: &[u8; 48]) -> B256 {
    let mut hash: [u8; 32] = Sha256::digest(commitment).into();
    hash[0] = 0x01;
    B256::from(hash)
}

/// Commits to `frame`'s blobs and opens each at its challenge. The opening's value is checked
/// against this crate's own evaluation, the one the proof makes: a disagreement is a bug that
/// must never reach L1.
pub fn commit_blobs(frame: &Frame) -> Result<Vec<PostedBlob>, DaError> {
    let settings = c_kzg::ethereum_kzg_settings(0);
    let kzg_error = |e: c_kzg::Error| DaError::Decompress(format!("c-kzg: {e:?}"));
    let blobs = to_blobs(frame);
    let mut commitments = Vec::with_capacity(blobs.len());
    let mut hashes = Vec::with_capacity(blobs.len());
    for blob in &blobs {
        let c_blob = c_kzg::Blob::new(*blob.0);
        let commitment = settings
            .blob_to_kzg_commitment(&c_blob)
            .map_err(kzg_error)?;
        let bytes: [u8; 48] = *commitment.to_bytes().as_ref();
        hashes.push(versioned_hash(&bytes));
        commitments.push((c_blob, bytes));
    }
    let bindings = bind_blobs(frame, &hashes)?;
    commitments
        .into_iter()
        .zip(bindings)
        .map(|((c_blob, commitment), binding)| {
            let (proof, y) = settings
                .compute_kzg_proof(&c_blob, &c_kzg::Bytes32::new(binding.z.0))
                .map_err(kzg_error)?;
            if B256::from(*y) != binding.y {
                return Err(DaError::Decompress(format!(
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

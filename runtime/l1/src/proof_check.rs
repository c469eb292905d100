//! Asks L1's verifiers about a proof before anyone relies on it: every part must pass
//! `IVerifier.verify(commitment, part)` (a view call) on the verifier of its kind.
//!
//! The coordinator checks a submitted proof this way before storing it, and the settler checks
//! a stored proof before sending `verifyBatch`: a garbage part (a wrong signature, a forged
//! OpenVM proof, a key L1 no longer accepts) is refused or evicted, so the batch is proven
//! again instead of `verifyBatch` reverting forever. The verifiers themselves decide, with the
//! keys and programs L1 holds now.

use alloy::primitives::{Address, B256};
use keel_primitives::{ProofParts, VerifierKind};

use crate::{IVerifier, L1Client, L1Error, L1Result};

/// A verifier L1 requires, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredVerifier {
    /// Which part of a proof it checks.
    pub kind: VerifierKind,
    /// The contract.
    pub address: Address,
}

/// Why L1's verifiers refuse a proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartRejected {
    /// The proof is not [`ProofParts`].
    #[error("not a proof-parts encoding: {0}")]
    Unreadable(String),
    /// The proof has no part for a verifier L1 requires.
    #[error("no {kind} part, which verifier {verifier} needs")]
    Missing {
        /// The kind.
        kind: VerifierKind,
        /// The verifier.
        verifier: Address,
    },
    /// The verifier returned false or reverted.
    #[error("verifier {verifier} ({kind}) refuses the {kind} part: {reason}")]
    Refused {
        /// The kind.
        kind: VerifierKind,
        /// The verifier.
        verifier: Address,
        /// What it said.
        reason: String,
    },
}

/// Checks each part of `parts` against its verifier for `commitment`. `Ok(Err(_))`: a verifier
/// refused (the proof is bad); `Err(_)`: L1 could not be asked (the proof may be good).
pub async fn check_proof(
    client: &L1Client,
    verifiers: &[RequiredVerifier],
    commitment: B256,
    parts: &ProofParts,
) -> L1Result<Result<(), PartRejected>> {
    for verifier in verifiers {
        let Some(part) = parts.get(verifier.kind) else {
            return Ok(Err(PartRejected::Missing {
                kind: verifier.kind,
                verifier: verifier.address,
            }));
        };
        let contract = IVerifier::new(verifier.address, client.provider());
        let refused = |reason: String| PartRejected::Refused {
            kind: verifier.kind,
            verifier: verifier.address,
            reason,
        };
        match client
            .view(
                "IVerifier.verify",
                contract.verify(commitment, part.clone()).call(),
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => return Ok(Err(refused("verify returned false".into()))),
            Err(L1Error::WouldRevert { reason, .. }) => return Ok(Err(refused(reason))),
            Err(error) => return Err(error),
        }
    }
    Ok(Ok(()))
}

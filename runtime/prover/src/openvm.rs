//! `--backend openvm`: the batch proven with OpenVM, the proof verified here, and the
//! attestations signed for L1.

use alloy_primitives::Bytes;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use keel_primitives::{
    ProofParts, VerifierKind, attestation_digest, attestation_proof, dev_attestation_digest,
};
use keel_prover_openvm::OpenVmProver;
use keel_stf::{ProverInput, execute_batch};
use tracing::info;

use crate::{Backend, BackendError, BackendKind, BackendOptions, Proven};

/// Proves batches with OpenVM's app prover (one STARK per segment), verifies each proof before
/// returning it, and signs what L1's verifiers take.
///
/// The batch is executed natively first: a bad input fails in milliseconds with the STF's
/// own error, and the native output is what the guest's revealed commitment must equal (a
/// difference is a guest/host divergence and fails the proof).
#[derive(Debug)]
pub struct OpenVmBackend {
    prover: OpenVmProver,
    attester_key: Option<PrivateKeySigner>,
    dev_key: Option<PrivateKeySigner>,
}

impl OpenVmBackend {
    /// Builds the guest, loads its keys and commits its executable (minutes on a CPU).
    pub fn load(options: BackendOptions) -> Result<Self, BackendError> {
        let openvm = options.openvm.ok_or_else(|| {
            BackendError::Setup("the openvm backend needs its options (guest, key cache)".into())
        })?;
        let failed = |e: keel_prover_openvm::OpenVmError| BackendError::Failed(Box::new(e));
        let prover = OpenVmProver::spawn(openvm).map_err(failed)?;
        Ok(Self {
            prover,
            attester_key: options.attester_key,
            dev_key: options.dev_key,
        })
    }

    /// The program it proves.
    pub fn program(&self) -> keel_prover_openvm::ProgramCommitment {
        self.prover.program()
    }
}

impl Backend for OpenVmBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::OpenVm
    }

    /// The program commitment's id, as `AttestingVerifier.program` pins it.
    fn program_version(&self) -> String {
        self.prover.program().id().to_string()
    }

    fn prove(&self, input: &[u8]) -> Result<Proven, BackendError> {
        let output = execute_batch(&ProverInput::decode(input)?)?.output;
        let commitment = output.commitment();
        let proof = self
            .prover
            .prove(input, &output.batch_number.to_string())
            .map_err(|e| BackendError::Failed(Box::new(e)))?;
        if proof.revealed != commitment {
            return Err(BackendError::Failed(
                format!(
                    "the guest revealed commitment {} for batch {} but the native STF computed \
                     {commitment}: the guest and this prover disagree (rebuild both from one \
                     source)",
                    proof.revealed, output.batch_number
                )
                .into(),
            ));
        }
        info!(target: "keel::prover", batch = output.batch_number, instructions = proof.instructions, segments = proof.segments, prove_s = proof.prove.as_secs_f64(), aggregate_s = proof.aggregate.as_secs_f64(), peak_rss_mib = proof.peak_rss.map(|b| b >> 20), "OpenVM proof verified");

        let sign = |key: &PrivateKeySigner, digest| {
            key.sign_hash_sync(&digest)
                .map(|signature| signature.as_bytes())
                .map_err(|e| BackendError::Failed(Box::new(e)))
        };
        let mut parts = ProofParts::new();
        if let Some(key) = &self.attester_key {
            let program = self.prover.program().id();
            let signature = sign(key, attestation_digest(program, commitment))?;
            parts.insert(
                VerifierKind::Attesting,
                attestation_proof(program, &signature),
            );
        }
        #[cfg(feature = "openvm-evm")]
        if let keel_prover_openvm::BatchProof::Evm(evm) = &proof.proof {
            parts.insert(
                VerifierKind::OpenVm,
                Bytes::from(keel_prover_openvm::evm::proof_data(evm)),
            );
        }
        if let Some(key) = &self.dev_key {
            let signature = sign(key, dev_attestation_digest(commitment))?;
            parts.insert(VerifierKind::Dev, Bytes::from(signature.to_vec()));
        }
        Ok(Proven { output, parts })
    }
}

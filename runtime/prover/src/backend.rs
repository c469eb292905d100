//! Proving backends: what turns a batch's prover input into a proof.
//!
//! A backend is a [`Backend`] implementation plus a [`BackendKind`] variant (the `--backend`
//! value). `exec` is built in; a zkVM backend (`openvm`) belongs in its own crate or behind a
//! cargo feature, adding `#[cfg(feature = "openvm")] OpenVm` to [`BackendKind`] and its arm to
//! [`BackendKind::backend`], so that builds without it never compile the zkVM.

use std::sync::Arc;

use alloy_primitives::Bytes;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use keel_primitives::{BatchOutput, dev_attestation_digest};
use keel_stf::{ProverInput, StfError, execute_batch};

/// A proof and the output it attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// What the batch computes.
    pub output: BatchOutput,
    /// The proof bytes (for [`ExecBackend`]: the dev attestation, or empty without a key).
    pub proof: Bytes,
}

/// Why a backend could not prove a batch. The batch goes back to the coordinator's queue.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The input is not a valid batch, or does not re-execute.
    #[error(transparent)]
    Stf(#[from] StfError),
    /// The backend itself failed (out of memory, missing keys, a crashed prover process, …).
    #[error("the backend failed: {0}")]
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

impl BackendError {
    /// Whether the batch's input is at fault (does not decode or re-execute), rather than the
    /// backend: another prover would fail the same way.
    pub const fn is_bad_input(&self) -> bool {
        matches!(self, Self::Stf(_))
    }
}

/// The backends this build offers: the values of `keel-prover --backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// Runs the stateless STF natively: no cryptographic proof (development, CI).
    Exec,
}

impl BackendKind {
    /// A new backend of this kind; `dev_key` is the development attestation key (exec only).
    pub fn backend(self, dev_key: Option<PrivateKeySigner>) -> Arc<dyn Backend> {
        match self {
            Self::Exec => Arc::new(ExecBackend { dev_key }),
        }
    }
}

/// A way of proving batches.
///
/// The worker calls [`Backend::prove`] on a blocking thread (`spawn_blocking`), one batch at a
/// time per coordinator; with several coordinators, calls may overlap.
pub trait Backend: Send + Sync + 'static {
    /// The backend's name as the coordinator knows it (`exec`, `openvm`).
    fn name(&self) -> &str;

    /// The version of the program it proves; the node accepts only its own.
    fn program_version(&self) -> String;

    /// Proves the batch whose encoded `ProverInput` is `input`. Any input, however broken,
    /// gives an error, never a panic.
    fn prove(&self, input: &[u8]) -> Result<Proven, BackendError>;
}

/// Runs the stateless STF natively and returns its output: no cryptographic proof. For
/// development and CI, where a batch must go from sealed to proven in milliseconds.
///
/// With a `dev_key`, the proof is that key's signature over the batch commitment
/// ([`dev_attestation_digest`]): what L1's `DevVerifier` accepts from a registered key. It
/// attests only that the key's holder ran the STF: trust in the key, not a proof.
#[derive(Debug, Clone, Default)]
pub struct ExecBackend {
    /// Signs each output for `DevVerifier`; `None`: empty proofs.
    pub dev_key: Option<PrivateKeySigner>,
}

impl Backend for ExecBackend {
    fn name(&self) -> &str {
        "exec"
    }

    fn program_version(&self) -> String {
        keel_stf::PROGRAM_VERSION.to_owned()
    }

    fn prove(&self, input: &[u8]) -> Result<Proven, BackendError> {
        let started = std::time::Instant::now();
        let input = ProverInput::decode(input)?;
        let decoded = started.elapsed();
        let output = execute_batch(&input)?;
        tracing::info!(
            target: "keel::prover",
            batch = output.batch_number,
            blocks = output.block_count,
            decode_ms = decoded.as_secs_f64() * 1e3,
            execute_ms = (started.elapsed() - decoded).as_secs_f64() * 1e3,
            "executed batch"
        );
        let proof = match &self.dev_key {
            None => Bytes::new(),
            Some(key) => {
                let signature = key
                    .sign_hash_sync(&dev_attestation_digest(output.commitment()))
                    .map_err(|e| BackendError::Failed(Box::new(e)))?;
                Bytes::from(signature.as_bytes().to_vec())
            }
        };
        Ok(Proven { output, proof })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_input_is_an_error_not_a_panic() {
        for input in [&[][..], &[0xde, 0xad], &[0xc0], &[0xf9, 0xff, 0xff]] {
            let error = ExecBackend::default().prove(input).unwrap_err();
            assert!(error.is_bad_input(), "{error}");
        }
        let error = ExecBackend::default().prove(&[0xde, 0xad]).unwrap_err();
        assert!(error.to_string().contains("does not decode"), "{error}");
        assert_eq!(BackendKind::Exec.backend(None).name(), "exec");
        assert_eq!(
            ExecBackend::default().program_version(),
            keel_stf::PROGRAM_VERSION
        );
    }
}

//! Proving backends: what turns a batch's prover input into a proof.
//!
//! A backend is a [`Backend`] implementation plus a [`BackendKind`] variant (the `--backend`
//! value). `exec` is built in; `openvm` (crate `keel-prover-openvm`) only with the cargo
//! feature `openvm`, so that builds without it never compile the zkVM; without it,
//! `--backend openvm` is an error that says how to build it.

use std::sync::Arc;

use alloy_primitives::Bytes;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use keel_primitives::{BackendKind, BatchOutput, ProofParts, VerifierKind, dev_attestation_digest};
use keel_stf::{ProverInput, StfError, execute_batch};

/// A proof and the output it attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// What the batch computes.
    pub output: BatchOutput,
    /// One part per L1 verifier kind the backend can satisfy (for [`ExecBackend`]: the `dev`
    /// attestation, or none without a key).
    pub parts: ProofParts,
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
    /// The backend cannot be set up as asked (the command line's fault).
    #[error("{0}")]
    Setup(String),
}

impl BackendError {
    /// Whether the batch's input is at fault (does not decode or re-execute), rather than the
    /// backend: another prover would fail the same way.
    pub const fn is_bad_input(&self) -> bool {
        matches!(self, Self::Stf(_))
    }
}

/// What a backend is made with (the command line's keys and OpenVM options).
#[derive(Debug, Clone, Default)]
pub struct BackendOptions {
    /// Signs a `dev` part over each batch commitment (`DevVerifier`).
    pub dev_key: Option<PrivateKeySigner>,
    /// Signs an `attesting` part once a proof verified (`AttestingVerifier`; openvm only).
    pub attester_key: Option<PrivateKeySigner>,
    /// The OpenVM backend's options.
    #[cfg(feature = "openvm")]
    pub openvm: Option<keel_prover_openvm::OpenVmOptions>,
}

/// A new backend of `kind`. The OpenVM backend builds its guest and commits its executable
/// here: minutes on a CPU.
pub fn make_backend(
    kind: BackendKind,
    options: BackendOptions,
) -> Result<Arc<dyn Backend>, BackendError> {
    match kind {
        BackendKind::Exec => {
            if options.attester_key.is_some() {
                return Err(BackendError::Setup(
                    "--attester-key is for the openvm backend: an attestation says a STARK \
                         proof verified, and exec makes none"
                        .to_owned(),
                ));
            }
            Ok(Arc::new(ExecBackend {
                dev_key: options.dev_key,
            }))
        }
        #[cfg(feature = "openvm")]
        BackendKind::OpenVm => Ok(Arc::new(crate::openvm::OpenVmBackend::load(options)?)),
        #[cfg(not(feature = "openvm"))]
        BackendKind::OpenVm => Err(BackendError::Setup(
            "this keel-prover was built without the openvm backend: build it with \
                 `cargo build --release -p keel-prover --features openvm` (add `cuda` for GPUs)"
                .to_owned(),
        )),
    }
}

/// A way of proving batches.
///
/// The worker calls [`Backend::prove`] on a blocking thread (`spawn_blocking`), one batch at a
/// time per coordinator; with several coordinators, calls may overlap.
pub trait Backend: Send + Sync + 'static {
    /// Which backend this is (the coordinator takes only the kinds its L1 verifiers can use).
    fn kind(&self) -> BackendKind;

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
    fn kind(&self) -> BackendKind {
        BackendKind::Exec
    }

    fn program_version(&self) -> String {
        keel_stf::PROGRAM_VERSION.to_owned()
    }

    fn prove(&self, input: &[u8]) -> Result<Proven, BackendError> {
        let started = std::time::Instant::now();
        let input = ProverInput::decode(input)?;
        let decoded = started.elapsed();
        let output = execute_batch(&input)?.output;
        tracing::info!(
            target: "keel::prover",
            batch = output.batch_number,
            blocks = output.block_count,
            decode_ms = decoded.as_secs_f64() * 1e3,
            execute_ms = (started.elapsed() - decoded).as_secs_f64() * 1e3,
            "executed batch"
        );
        let mut parts = ProofParts::new();
        if let Some(key) = &self.dev_key {
            let signature = key
                .sign_hash_sync(&dev_attestation_digest(output.commitment()))
                .map_err(|e| BackendError::Failed(Box::new(e)))?;
            parts.insert(
                VerifierKind::Dev,
                Bytes::from(signature.as_bytes().to_vec()),
            );
        }
        Ok(Proven { output, parts })
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
        let exec = make_backend(BackendKind::Exec, BackendOptions::default()).unwrap();
        assert_eq!(exec.kind(), BackendKind::Exec);
        let attesting_exec = make_backend(
            BackendKind::Exec,
            BackendOptions {
                attester_key: Some(format!("0x{}", "11".repeat(32)).parse().unwrap()),
                ..BackendOptions::default()
            },
        );
        assert!(matches!(attesting_exec, Err(BackendError::Setup(_))));
        #[cfg(not(feature = "openvm"))]
        {
            let Err(error) = make_backend(BackendKind::OpenVm, BackendOptions::default()) else {
                panic!("openvm without the feature");
            };
            assert!(error.to_string().contains("--features openvm"), "{error}");
        }
        assert_eq!(
            ExecBackend::default().program_version(),
            keel_stf::PROGRAM_VERSION
        );
    }
}

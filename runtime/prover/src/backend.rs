//! Proving backends: what turns a batch's prover input into a proof.
//!
//! A backend is a [`Backend`] implementation plus a [`BackendKind`] variant (the `--backend`
//! value). `exec` is built in; a zkVM backend (`openvm`) belongs in its own crate or behind a
//! cargo feature, adding `#[cfg(feature = "openvm")] OpenVm` to [`BackendKind`] and its arm to
//! [`BackendKind::backend`], so that builds without it never compile the zkVM.

use std::sync::Arc;

use alloy_primitives::Bytes;
use keel_primitives::BatchOutput;
use keel_stf::{ProverInput, StfError, execute_batch};

/// A proof and the output it attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// What the batch computes.
    pub output: BatchOutput,
    /// The proof bytes (empty for [`ExecBackend`]).
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
    /// A new backend of this kind.
    pub fn backend(self) -> Arc<dyn Backend> {
        match self {
            Self::Exec => Arc::new(ExecBackend),
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
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecBackend;

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
        Ok(Proven {
            output,
            proof: Bytes::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_input_is_an_error_not_a_panic() {
        for input in [&[][..], &[0xde, 0xad], &[0xc0], &[0xf9, 0xff, 0xff]] {
            let error = ExecBackend.prove(input).unwrap_err();
            assert!(error.is_bad_input(), "{error}");
        }
        let error = ExecBackend.prove(&[0xde, 0xad]).unwrap_err();
        assert!(error.to_string().contains("does not decode"), "{error}");
        assert_eq!(BackendKind::Exec.backend().name(), "exec");
        assert_eq!(ExecBackend.program_version(), keel_stf::PROGRAM_VERSION);
    }
}

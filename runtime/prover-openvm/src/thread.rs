//! [`OpenVmProver`]: a [`crate::LocalProver`] on a thread of its own, so that callers may share it.

use std::sync::{Mutex, mpsc};

use crate::{
    GuestProgram, OpenVmError, OpenVmOptions, OpenVmProof, OpenVmResult, ProgramCommitment,
};

/// A request to the prover thread.
struct Job {
    input: Vec<u8>,
    label: String,
    reply: mpsc::Sender<OpenVmResult<OpenVmProof>>,
}

/// A [`crate::LocalProver`] on a thread of its own: `Send + Sync`, one proof at a time (each uses
/// every core anyway). The thread ends when the handle is dropped.
pub struct OpenVmProver {
    program: ProgramCommitment,
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for OpenVmProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenVmProver")
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

impl OpenVmProver {
    /// Loads the guest and makes its prover on a new thread ([`GuestProgram::load`], then
    /// [`GuestProgram::into_prover`]); returns once it is ready or has failed.
    pub fn spawn(options: OpenVmOptions) -> OpenVmResult<Self> {
        let (ready_tx, ready) = mpsc::channel();
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("openvm-prover".to_owned())
            .spawn(move || {
                let mut prover =
                    match GuestProgram::load(options).and_then(GuestProgram::into_prover) {
                        Ok(prover) => {
                            let _ = ready_tx.send(Ok(prover.program()));
                            prover
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                            return;
                        }
                    };
                for job in queue {
                    let _ = job.reply.send(prover.prove(&job.input, &job.label));
                }
            })
            .map_err(|e| OpenVmError::Prove(format!("cannot start the prover thread: {e}")))?;
        let program = ready.recv().map_err(|_| {
            let panic = thread.join().err().map(panic_message).unwrap_or_default();
            OpenVmError::Prove(format!(
                "the prover thread died while loading the guest: {panic}"
            ))
        })??;
        Ok(Self {
            program,
            jobs: Mutex::new(jobs),
        })
    }

    /// The program this prover proves.
    pub const fn program(&self) -> ProgramCommitment {
        self.program
    }

    /// [`crate::LocalProver::prove`] on the prover thread. A panic there (the SDK asserts) is an
    /// error here, and the next call says the thread is gone.
    pub fn prove(&self, input: &[u8], label: &str) -> OpenVmResult<OpenVmProof> {
        let (reply, answer) = mpsc::channel();
        let job = Job {
            input: input.to_vec(),
            label: label.to_owned(),
            reply,
        };
        let gone = || {
            OpenVmError::Prove(
                "the prover thread is gone (it panicked on an earlier proof); restart keel-prover"
                    .to_owned(),
            )
        };
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .send(job)
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

//! `run_worker` against an in-process coordinator.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use alloy_primitives::Bytes;
use keel_coordinator::ProgramId;
use keel_primitives::{BackendKind, BatchOutput, ProofParts, VerifierKind};
use keel_prover::{
    Backend, BackendError, ExecBackend, Proven, WorkerError, WorkerOptions, run_worker,
};

use crate::{Node, empty_block_batch, loopback, made_up_output};

fn options(name: &str) -> WorkerOptions {
    WorkerOptions {
        name: name.to_owned(),
        program_version: None,
        hold: Duration::ZERO,
        auth_key: None,
    }
}

/// A backend that fails its first `failures` batches, then returns `output`, counting calls.
struct Stub {
    failures: usize,
    output: BatchOutput,
    calls: AtomicUsize,
}

fn stub_parts() -> ProofParts {
    let mut parts = ProofParts::new();
    parts.insert(VerifierKind::Dev, Bytes::from_static(b"stub proof"));
    parts
}

impl Backend for Stub {
    fn kind(&self) -> BackendKind {
        BackendKind::Exec
    }

    fn program_version(&self) -> String {
        "stub-v1".to_owned()
    }

    fn prove(&self, _input: &[u8]) -> Result<Proven, BackendError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            return Err(BackendError::Failed("out of memory".into()));
        }
        Ok(Proven {
            output: self.output,
            parts: stub_parts(),
        })
    }
}

/// Wraps a backend and keeps every error it returned.
struct Recording<B> {
    inner: B,
    errors: Mutex<Vec<String>>,
}

impl<B: Backend> Backend for Recording<B> {
    fn kind(&self) -> BackendKind {
        self.inner.kind()
    }

    fn program_version(&self) -> String {
        self.inner.program_version()
    }

    fn prove(&self, input: &[u8]) -> Result<Proven, BackendError> {
        let result = self.inner.prove(input);
        if let Err(e) = &result {
            self.errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(e.to_string());
        }
        result
    }
}

#[tokio::test]
async fn exec_proves_a_real_batch() {
    let (input, output) = empty_block_batch();
    let node = Node::exec(&[(input, output)]).await;
    let worker = tokio::spawn(run_worker(
        node.addr,
        Arc::new(ExecBackend::default()),
        options("exec-test"),
    ));
    let proof = node.proof(1).await;
    assert_eq!(proof.output, output);
    assert_eq!(
        (proof.backend, proof.prover.as_str()),
        (BackendKind::Exec, "exec-test")
    );
    assert_eq!(proof.program_version, keel_stf::PROGRAM_VERSION);
    assert_eq!(
        proof.proof,
        ProofParts::new().encode(),
        "exec without a key: no parts"
    );
    assert!(!worker.is_finished(), "the worker keeps asking for work");
    worker.abort();
}

#[tokio::test]
async fn garbage_input_is_reported_and_the_batch_offered_again() {
    let node = Node::exec(&[(vec![0xde, 0xad, 0xbe, 0xef], made_up_output(1))]).await;
    let backend = Arc::new(Recording {
        inner: ExecBackend::default(),
        errors: Mutex::new(vec![]),
    });
    let worker = tokio::spawn(run_worker(node.addr, backend.clone(), options("garbage")));
    // Each failure drops the lease, so the same worker gets the batch again.
    for _ in 0..200 {
        if backend
            .errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
            >= 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let errors = backend
        .errors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    assert!(errors.len() >= 2, "{errors:?}");
    assert!(errors[0].contains("does not decode"), "{errors:?}");
    assert!(
        !worker.is_finished(),
        "a bad batch does not stop the worker"
    );
    let snapshot = node.storage.snapshot().unwrap();
    assert!(snapshot.proof(1).unwrap().is_none());
    worker.abort();
}

#[tokio::test]
async fn a_backend_failure_is_retried_then_proven() {
    let output = made_up_output(1);
    let node = Node::start(
        &[(vec![1, 2, 3], output)],
        loopback(),
        vec![ProgramId::new(BackendKind::Exec, "stub-v1")],
    )
    .await;
    let backend = Arc::new(Stub {
        failures: 1,
        output,
        calls: AtomicUsize::new(0),
    });
    let worker = tokio::spawn(run_worker(node.addr, backend.clone(), options("stub")));
    let proof = node.proof(1).await;
    assert_eq!(backend.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        (proof.backend, proof.program_version.as_str()),
        (BackendKind::Exec, "stub-v1")
    );
    assert_eq!(proof.proof, stub_parts().encode());
    worker.abort();
}

#[tokio::test]
async fn a_wrong_program_version_stops_the_worker_with_the_nodes_message() {
    let node = Node::exec(&[empty_block_batch()]).await;
    let options = WorkerOptions {
        program_version: Some("keel-stf/0.0.0/input-v0".to_owned()),
        ..options("old")
    };
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        run_worker(node.addr, Arc::new(ExecBackend::default()), options),
    )
    .await
    .expect("the worker stops");
    let Err(WorkerError::Refused { addr, message }) = result;
    assert_eq!(addr, node.addr);
    assert!(
        message
            .contains("program version keel-stf/0.0.0/input-v0 is not accepted for backend exec")
            && message.contains(keel_stf::PROGRAM_VERSION),
        "{message}"
    );
}

#[tokio::test]
async fn a_worker_waits_for_a_coordinator_that_is_not_up_yet() {
    // Reserve a port, free it, and start the coordinator there only after the worker has
    // failed to connect a few times.
    let addr = std::net::TcpListener::bind(loopback())
        .unwrap()
        .local_addr()
        .unwrap();
    let output = made_up_output(1);
    let backend = Arc::new(Stub {
        failures: 0,
        output,
        calls: AtomicUsize::new(0),
    });
    // Until then something listens there that accepts and hangs up at once: every attempt the
    // worker makes fails, and is counted.
    let refuser = tokio::net::TcpListener::bind(addr).await.unwrap();
    let worker = tokio::spawn(run_worker(addr, backend, options("early")));
    let mut attempts = 0;
    while attempts < 3 {
        let accepted = tokio::time::timeout(Duration::from_secs(10), refuser.accept()).await;
        let (stream, _) = accepted
            .expect("the worker tries again after a failed attempt")
            .unwrap();
        drop(stream);
        attempts += 1;
    }
    assert!(!worker.is_finished(), "connection failures are retried");
    drop(refuser);
    let node = Node::start(
        &[(vec![1], output)],
        addr,
        vec![ProgramId::new(BackendKind::Exec, "stub-v1")],
    )
    .await;
    assert_eq!(node.proof(1).await.prover, "early");
    worker.abort();
}

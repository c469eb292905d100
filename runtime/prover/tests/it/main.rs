//! keel-prover against an in-process coordinator: one integration test binary.
//!
//! - [`worker`]: `run_worker` with the `exec` backend on a real batch, with failing and stub
//!   backends, a refused program version, and a coordinator that is not up yet.
//! - [`cli`]: the `keel-prover` binary exits non-zero with the coordinator's refusal.

mod cli;
mod worker;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy_consensus::{Header, Sealable};
use alloy_primitives::{Address, Bytes};
use keel_coordinator::{Coordinator, CoordinatorConfig, ProgramId};
use keel_da::{Frame, PayloadBlock};
use keel_primitives::{Batch, BatchOutput, ChainSpec, StoredProof};
use keel_stf::{ProverInput, Witness, execute_batch};
use keel_storage::Storage;
use keel_trie::EMPTY_ROOT_HASH;

const CHAIN_ID: u64 = 7;

/// A real batch: block 1, empty, on an empty genesis state; its encoded input and output.
fn empty_block_batch() -> (Vec<u8>, BatchOutput) {
    let spec = ChainSpec::ethereum_like(CHAIN_ID);
    let genesis = Header {
        number: 0,
        state_root: EMPTY_ROOT_HASH,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(1_000_000_000),
        ..Default::default()
    }
    .seal_slow();
    let frame = Frame::uncompressed(&[PayloadBlock {
        timestamp: 12,
        coinbase: Address::repeat_byte(0xc0),
        gas_limit: 30_000_000,
        base_fee: 1_000_000_000,
        data_fee: Default::default(),
        extra_data: Bytes::new(),
        transactions: vec![],
    }]);
    let input = ProverInput {
        spec,
        batch_number: 1,
        parent: genesis.into_inner(),
        ancestors: vec![],
        frame: frame.0,
        blob_hashes: vec![],
        witness: Witness::default(),
    };
    let output = execute_batch(&input).expect("the batch re-executes").output;
    (input.encode(), output)
}

/// A made-up output for batch `number` (for stub backends; inputs are then arbitrary bytes).
fn made_up_output(number: u64) -> BatchOutput {
    BatchOutput {
        batch_number: number,
        chain_spec_hash: keel_primitives::ChainSpec::ethereum_like(CHAIN_ID).hash(),
        first_block: number,
        block_count: 1,
        ..empty_block_batch().1
    }
}

/// A database and the coordinator serving it.
struct Node {
    storage: Arc<Storage>,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Node {
    /// A database holding one sealed one-block batch per `(input, output)`, numbered from 1.
    fn storage(batches: &[(Vec<u8>, BatchOutput)]) -> (Arc<Storage>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let storage = Arc::new(Storage::open(&dir.path().join("keel.redb")).expect("a database"));
        for (number, (input, output)) in (1..).zip(batches) {
            let batch = Batch {
                number,
                first_block: number,
                last_block: number,
                gas_used: 0,
                transactions: 0,
                witness_bytes: 0,
                input_bytes: input.len() as u64,
                sealed_at_ms: 0,
                deposits: 0,
                output: *output,
                blobs: vec![],
            };
            storage.seal_batch(&batch, input, &[]).expect("sealed");
        }
        (storage, dir)
    }

    /// Serves `batches` on `listen`, accepting `accepted`.
    async fn start(
        batches: &[(Vec<u8>, BatchOutput)],
        listen: SocketAddr,
        accepted: Vec<ProgramId>,
    ) -> Self {
        let (storage, dir) = Self::storage(batches);
        let config = CoordinatorConfig {
            listen,
            lease_timeout: Duration::from_secs(60),
            chain_id: CHAIN_ID,
            accepted,
            retry_after: Duration::from_millis(20),
            required_parts: vec![],
            allowed_provers: vec![],
        };
        let coordinator = Coordinator::bind(config, storage.clone())
            .await
            .expect("bound");
        let addr = coordinator.local_addr().expect("an address");
        tokio::spawn(coordinator.run(std::future::pending()));
        Self {
            storage,
            addr,
            _dir: dir,
        }
    }

    /// Serves `batches` on a free port, accepting the `exec` backend at the STF's version.
    async fn exec(batches: &[(Vec<u8>, BatchOutput)]) -> Self {
        Self::start(
            batches,
            loopback(),
            vec![ProgramId::new(
                keel_primitives::BackendKind::Exec,
                keel_stf::PROGRAM_VERSION,
            )],
        )
        .await
    }

    /// Waits (up to 10 s) for the proof of `batch`.
    async fn proof(&self, batch: u64) -> StoredProof {
        for _ in 0..200 {
            let snapshot = self.storage.snapshot().expect("a snapshot");
            if let Some(proof) = snapshot.proof(batch).expect("readable") {
                return proof;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("batch {batch} was not proven within 10 s");
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

//! The committed prover inputs the GPU bench proves (`e2e/gpu-bench.sh`) must stay inputs this
//! STF executes: a change to the input format, the payload or the STF that breaks them fails
//! here, and they are made again with
//! `KEEL_BENCH_BATCH_TXS=1,100 KEEL_BENCH_INPUTS=DIR cargo bench -p keel-sequencer --bench batch`
//! (copy `DIR/eth-transfer-{1,100}.rlp` to `e2e/fixtures/prover-inputs/`).

use keel_stf::{ProverInput, execute_batch};

/// The committed inputs, built into the test: a changed file rebuilds it, and the test does not
/// depend on where the checkout it was built from lies.
const ETH_TRANSFER_1: &[u8] =
    include_bytes!("../../../e2e/fixtures/prover-inputs/eth-transfer-1.rlp");
const ETH_TRANSFER_100: &[u8] =
    include_bytes!("../../../e2e/fixtures/prover-inputs/eth-transfer-100.rlp");

fn executes(name: &str, bytes: &[u8], transactions: usize) {
    let input = ProverInput::decode(bytes)
        .unwrap_or_else(|e| panic!("{name} no longer decodes ({e}); make it again (see above)"));
    let executed = execute_batch(&input)
        .unwrap_or_else(|e| panic!("{name} no longer executes ({e}); make it again (see above)"));
    let last = executed.headers.last().expect("a batch has blocks");
    assert_eq!(executed.output.last_block_hash, last.hash());
    let body_gas: u64 = executed.headers.iter().map(|h| h.gas_used).sum();
    assert_eq!(
        body_gas,
        21_000 * transactions as u64,
        "{name}: ETH transfers only"
    );
}

#[test]
fn the_gpu_bench_inputs_execute() {
    executes("eth-transfer-1.rlp", ETH_TRANSFER_1, 1);
    executes("eth-transfer-100.rlp", ETH_TRANSFER_100, 100);
}

//! Guest instruction counts for prover inputs (RLP `ProverInput` files), with and without
//! OpenVM's accelerations, by metered execution (no proof):
//!
//! ```text
//! KEEL_BENCH_INPUTS=/tmp/inputs cargo bench -p keel-sequencer --bench batch   # 200-tx batches
//! cargo run --release -p keel-prover-openvm --example meter -- runtime/guest /tmp/inputs/*.rlp
//! KEEL_GUEST_ARGS="--no-default-features" cargo run … --example meter -- runtime/guest …
//! ```
//!
//! `KEEL_GUEST_ARGS` are extra `cargo build` arguments for the guest (e.g.
//! `--no-default-features --features accelerated-keccak`). A file named `<kind>-<txs>.rlp` is
//! also reported per transaction.

use std::path::PathBuf;

use keel_prover_openvm::{GuestProgram, GuestSource, OpenVmOptions, ProofMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let guest = PathBuf::from(args.next().ok_or("usage: meter GUEST_DIR INPUT.rlp…")?);
    let inputs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let guest_cargo_args = std::env::var("KEEL_GUEST_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let cache_dir = std::env::temp_dir().join("keel-openvm-meter");
    let mode = ProofMode::App;
    let prover = GuestProgram::load(OpenVmOptions {
        guest: GuestSource::Crate(guest),
        cache_dir,
        segment_max_memory: 4 << 30,
        proofs_dir: None,
        mode,
        halo2_params: None,
        guest_cargo_args,
    })?
    .into_prover()?;
    for input in inputs {
        let bytes = std::fs::read(&input)?;
        let metered = prover.meter(&bytes)?;
        let name = input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let per_tx = name
            .rsplit('-')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| *n > 0)
            .map(|n| format!(", {} per transaction", metered.instructions / n))
            .unwrap_or_default();
        println!(
            "{name}: {} instructions in {} segments{per_tx}; revealed 0x{}",
            metered.instructions,
            metered.segments,
            alloy_primitives::hex::encode(&metered.public_values)
        );
    }
    Ok(())
}

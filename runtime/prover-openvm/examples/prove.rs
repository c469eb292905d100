//! Proves one prover input (RLP `ProverInput` file) with the guest and verifies the proof,
//! printing the time of each phase and the peak memory: a CPU (or, with `--features cuda`,
//! GPU) proving benchmark outside the node.
//!
//! ```text
//! cargo run --release -p keel-prover-openvm --example prove -- runtime/guest batch.rlp [GIB]
//! ```
//!
//! GUEST is the guest crate's directory (built here) or a guest ELF built elsewhere (then
//! `KEEL_GUEST_CONFIG` names its `openvm.toml`, default `runtime/guest/openvm.toml`): a machine
//! without cargo proves with a carried ELF (`e2e/gpu-bench.sh`).
//! GIB is the segment max memory (default 4); `KEEL_GUEST_ARGS` as for the `meter` example;
//! `KEEL_OPENVM_PROOF=stark` aggregates the segment proofs into one STARK; `=evm` (with
//! `--features evm` and `KEEL_HALO2_PARAMS=DIR`, OpenVM's KZG parameters) makes an EVM proof.

use std::{path::PathBuf, time::Instant};

use keel_prover_openvm::{GuestProgram, GuestSource, OpenVmOptions, ProofMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: prove GUEST_DIR|GUEST_ELF INPUT.rlp [SEGMENT_GIB]";
    let guest = PathBuf::from(args.next().ok_or(usage)?);
    let guest = if guest.is_file() {
        GuestSource::Elf {
            elf: guest,
            config: std::env::var_os("KEEL_GUEST_CONFIG")
                .map_or_else(|| PathBuf::from("runtime/guest/openvm.toml"), PathBuf::from),
        }
    } else {
        GuestSource::Crate(guest)
    };
    let input = std::fs::read(PathBuf::from(args.next().ok_or(usage)?))?;
    let gib: usize = match args.next() {
        Some(gib) => gib.to_string_lossy().parse()?,
        None => 4,
    };
    let guest_cargo_args = std::env::var("KEEL_GUEST_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mode: ProofMode = std::env::var("KEEL_OPENVM_PROOF")
        .as_deref()
        .unwrap_or("app")
        .parse()?;
    let started = Instant::now();
    let mut prover = GuestProgram::load(OpenVmOptions {
        guest,
        cache_dir: std::env::temp_dir().join("keel-openvm-meter"),
        segment_max_memory: gib << 30,
        proofs_dir: None,
        mode,
        halo2_params: std::env::var_os("KEEL_HALO2_PARAMS").map(PathBuf::from),
        guest_cargo_args,
    })?
    .into_prover()?;
    let setup = started.elapsed();
    let proof = prover.prove(&input, "bench")?;
    println!(
        "program {}\nsetup (build, keys, exe commit) {:.1} s\n{} instructions, {} segments\n\
         execute {:.2} s, prove {:.1} s, aggregate {:.1} s, verify {:.2} s, peak RSS {} MiB\n\
         revealed {}",
        prover.program(),
        setup.as_secs_f64(),
        proof.instructions,
        proof.segments,
        proof.execute.as_secs_f64(),
        proof.prove.as_secs_f64(),
        proof.aggregate.as_secs_f64(),
        proof.verify.as_secs_f64(),
        proof.peak_rss.map_or(0, |b| b >> 20),
        proof.revealed
    );
    Ok(())
}

#!/usr/bin/env bash
# OpenVM proving figures in one go: proves the committed prover inputs in
# e2e/fixtures/prover-inputs (ETH-transfer batches of 1 and of 100 transactions), each as
# per-segment app proofs and as one aggregated STARK, and prints for every run the setup,
# execute, prove, aggregate and verify seconds, the peak host memory and (with nvidia-smi) the
# peak GPU memory. Each proof is verified before its figures are printed.
#
#   e2e/gpu-bench.sh                 a machine with an NVIDIA GPU, CUDA and cargo: builds the
#                                    `prove` example of keel-prover-openvm with --features cuda
#   e2e/gpu-bench.sh --cpu           the same on CPUs (checks the script; minutes per proof)
#   e2e/gpu-bench.sh --cpu --quick   only the 1-transfer batch's app proof
#
# A machine without cargo or a registry (the lent GPU machines have neither) proves with a
# `prove` binary and a guest ELF built elsewhere and carried there:
#   KEEL_GPU_BENCH_PROVE=path/to/prove KEEL_GUEST_ELF=path/to/keel-guest e2e/gpu-bench.sh
# (the ELF is runtime/guest/target/riscv32im-risc0-zkvm-elf/release/keel-guest once any OpenVM
# run built the guest; the binary must have been built with --features cuda for a GPU).
#
# The inputs are made by the sequencer's batch bench (see runtime/stf/tests/fixtures.rs, which
# fails when they no longer execute). Proving keys are cached in $TMPDIR/keel-openvm-meter.
set -euo pipefail
cd "$(dirname "$0")/.."

cpu=0
quick=0
for arg in "$@"; do
  case "$arg" in
    --cpu) cpu=1 ;;
    --quick) quick=1 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-bench.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

inputs=(e2e/fixtures/prover-inputs/eth-transfer-1.rlp e2e/fixtures/prover-inputs/eth-transfer-100.rlp)
modes=(app stark)
if [ "$quick" = 1 ]; then
  inputs=("${inputs[0]}")
  modes=(app)
fi

started=$(date +%s)
prove="${KEEL_GPU_BENCH_PROVE:-}"
guest="${KEEL_GUEST_ELF:-runtime/guest}"
if [ -z "$prove" ]; then
  features=()
  [ "$cpu" = 1 ] || features=(--features cuda)
  if [ "$cpu" = 0 ] && ! command -v nvcc > /dev/null; then
    echo "gpu-bench.sh: no nvcc on PATH: a CUDA build needs the CUDA toolkit (or pass --cpu)" >&2
    exit 1
  fi
  runtime/guest/setup.sh --toolchain-only
  target="${CARGO_TARGET_DIR:-$HOME/.cache/keel-target}-openvm"
  echo "==> building the prove example (${features[*]:-CPU}) into $target"
  CARGO_TARGET_DIR="$target" cargo build --locked --release -p keel-prover-openvm \
    --example prove "${features[@]}"
  prove="$target/release/examples/prove"
fi
built=$(date +%s)
echo "==> build: $((built - started)) s"

gpu_peak_file=$(mktemp)
trap 'rm -f "$gpu_peak_file"' EXIT
results=()
for input in "${inputs[@]}"; do
  for mode in "${modes[@]}"; do
    echo "==> $(basename "$input" .rlp), $mode proof"
    sampler=
    if command -v nvidia-smi > /dev/null; then
      # Peak GPU memory over the run, sampled every 100 ms.
      (nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 |
        awk '$1 > max { max = $1; print max > "'"$gpu_peak_file"'"; fflush("'"$gpu_peak_file"'") }') &
      sampler=$!
    fi
    out=$(KEEL_OPENVM_PROOF="$mode" "$prove" "$guest" "$input" 2>&1 | tee /dev/stderr)
    [ -n "$sampler" ] && { kill "$sampler" 2> /dev/null || true; pkill -P "$sampler" 2> /dev/null || true; }
    figures=$(grep -E '^execute ' <<< "$out" || true)
    [ -n "$figures" ] || { echo "gpu-bench.sh: the prove run printed no figures" >&2; exit 1; }
    instructions=$(grep -oE '^[0-9]+ instructions, [0-9]+ segments' <<< "$out" || true)
    gpu="-"
    [ -s "$gpu_peak_file" ] && gpu="$(tail -n 1 "$gpu_peak_file") MiB"
    results+=("$(basename "$input" .rlp) | $mode | $instructions | $figures | GPU peak $gpu")
    : > "$gpu_peak_file"
  done
done

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)$(
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name --format=csv,noheader | sed 's/^/, /' || true)"
echo "build $((built - started)) s, all $(($(date +%s) - started)) s"
printf '%s\n' "${results[@]}"

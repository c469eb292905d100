#!/usr/bin/env bash
# Runs Keel's whole test suite: unit tests, the contract-artifact check and the end-to-end tests
# that start the real `keel` binary. Installs what it needs (Rust via rustup if missing, Node.js
# via apt-get if missing, the npm packages in contracts/).
#
#   e2e/test.sh                 everything except the slow proving tests
#   KEEL_SLOW_TESTS=1 e2e/test.sh   also the slow OpenVM tests: installs the guest toolchain
#                                   (runtime/guest/setup.sh --toolchain-only) and builds
#                                   keel-prover --features openvm (~40 CPU-minutes once); the
#                                   settlement test makes a real CPU proof (minutes on 2 cores)
#
# Build outputs go to $CARGO_TARGET_DIR (default: ~/.cache/keel-target, shared across clones so a
# second run does not rebuild alloy, revm and friends).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keel-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

e2e/setup.sh

echo "==> plugins: native tests, then the WebAssembly components the host tests load"
plugins/build.sh --test

echo "==> contract artifacts match their sources"
contracts/build.sh --check

echo "==> contracts: forge unit, fuzz and invariant tests (run counts per test)"
contracts/test.sh

# keel-prover-openvm (openvm-sdk) is left out: ~40 CPU-minutes to compile; the slow tests build it.
echo "==> build"
cargo build --locked --workspace --exclude keel-prover-openvm --all-targets

echo "==> tests"
cargo test --locked --workspace --exclude keel-prover-openvm

if [ "${KEEL_SLOW_TESTS:-0}" = "1" ]; then
  echo "==> slow tests: the OpenVM guest, and an OpenVM proof settled on L1"
  runtime/guest/setup.sh --toolchain-only
  # A release build of its own (openvm-sdk: ~40 CPU-minutes once), kept next to the shared one.
  openvm_target="${CARGO_TARGET_DIR}-openvm"
  CARGO_TARGET_DIR="$openvm_target" cargo build --locked --release -p keel-prover --features openvm
  KEEL_OPENVM_PROVER="$openvm_target/release/keel-prover" \
    cargo test --locked -p keel-e2e --test it -- --ignored --nocapture
fi

#!/usr/bin/env bash
# Runs Keel's whole test suite: unit tests, the contract-artifact check and the end-to-end tests
# that start the real `keel` binary. Installs what it needs (Rust via rustup if missing, Node.js
# via apt-get if missing, the npm packages in contracts/).
#
#   e2e/test.sh                 everything except the slow proving tests
#   KEEL_SLOW_TESTS=1 e2e/test.sh   also the slow OpenVM tests (installs the guest toolchain and
#                                   cargo-openvm with runtime/guest/setup.sh: ~40 CPU-minutes once)
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

echo "==> build"
cargo build --locked --workspace --all-targets

echo "==> tests"
cargo test --locked --workspace

if [ "${KEEL_SLOW_TESTS:-0}" = "1" ]; then
  echo "==> slow tests: the OpenVM guest"
  runtime/guest/setup.sh
  cargo test --locked -p keel-e2e --test it -- --ignored --nocapture
fi

#!/usr/bin/env bash
# Installs what building, executing and proving Keel's OpenVM guest needs, idempotently:
#   - OpenVM's pinned guest toolchain, rustup's nightly-2026-01-18 with rust-src
#     (OPENVM_RUST_TOOLCHAIN names another, as cargo-openvm reads it too);
#   - cargo-openvm 2.0.2, without its default `evm-verify` feature (halo2, whose parameters
#     are downloaded from a host this kind of machine cannot reach). ~40 CPU-minutes once.
# Build outputs of the install go to a temporary directory, not $CARGO_TARGET_DIR.
#
#   runtime/guest/setup.sh                   both
#   runtime/guest/setup.sh --toolchain-only  the toolchain only: all `keel-prover --backend
#                                            openvm` needs (it builds the guest itself)
set -euo pipefail
toolchain_only=0
case "${1:-}" in
  "") ;;
  --toolchain-only) toolchain_only=1 ;;
  *) echo "usage: $0 [--toolchain-only]" >&2; exit 2 ;;
esac

toolchain="${OPENVM_RUST_TOOLCHAIN:-nightly-2026-01-18}"
openvm_version=2.0.2

if ! rustup toolchain list | grep -q "^$toolchain"; then
  echo "==> installing the guest toolchain $toolchain (rustup)"
  rustup toolchain install "$toolchain" --profile minimal --component rust-src
elif ! rustup component list --toolchain "$toolchain" --installed | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain "$toolchain"
fi

if [ "$toolchain_only" = 1 ]; then
  echo "guest toolchain $toolchain is installed"
  exit 0
fi
if ! cargo openvm --version 2>/dev/null | grep -q "$openvm_version"; then
  echo "==> installing cargo-openvm $openvm_version (takes a while: ~40 CPU-minutes)"
  env -u CARGO_TARGET_DIR cargo install cargo-openvm --version "$openvm_version" --locked \
    --no-default-features --features parallel,jemalloc
fi
echo "guest toolchain $toolchain and cargo-openvm $openvm_version are installed"

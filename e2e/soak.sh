#!/usr/bin/env bash
# Crash soak: SIGKILLs the settling node N times at random moments while L2 transfers, L1
# deposits and L2 withdrawals flow, and checks after each restart and at the end that no sealed
# block was lost or changed, every acknowledged deposit is credited once, L1 verifies every
# batch by itself, and the bridge holds what was deposited. The test command runs it with 3.
#
#   e2e/soak.sh [N]     N kills (default 50; each takes a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keel-target}"
kills="${1:-50}"
cargo build --locked -p keel-node -p keel-prover
KEEL_SOAK_KILLS="$kills" cargo test --locked -p keel-e2e --test it -- \
  soak::sigkill_at_random_moments --nocapture

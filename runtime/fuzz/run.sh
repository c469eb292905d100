#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) and prints, per target, the executions
# and whether it found anything. Installs what it needs: a nightly toolchain (rustup) and
# cargo-fuzz (cargo install). A crash is kept under runtime/fuzz/artifacts/<target>/; turn it
# into a regression test next to the code it broke.
#
#   runtime/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
fuzz=(--fuzz-dir "$here")
seconds="${1:-60}"
shift || true
toolchain="${KEEL_FUZZ_TOOLCHAIN:-nightly}"
rustup toolchain list | grep -q "^$toolchain" || rustup toolchain install "$toolchain" --profile minimal
command -v cargo-fuzz > /dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo "+$toolchain" fuzz list "${fuzz[@]}")
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keel-target}-fuzz"
status=0
for target in "${targets[@]}"; do
  mkdir -p "$here/corpus/$target"
  log="$(mktemp)"
  if cargo "+$toolchain" fuzz run "${fuzz[@]}" "$target" "$here/corpus/$target" -- \
      -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 > "$log" 2>&1; then
    found="no findings"
  else
    found="FOUND a crash (see runtime/fuzz/artifacts/$target/ and $log)"
    status=1
  fi
  runs="$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)"
  echo "$target: ${runs:-no run count} — $found"
done
exit "$status"

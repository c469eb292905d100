#!/usr/bin/env bash
# Counts the guest's instructions on prover inputs (RLP files), with OpenVM's metered
# execution (no proof): `cargo openvm run --mode meter`.
#
#   KEEL_BENCH_INPUTS=/tmp/inputs cargo bench -p keel-sequencer --bench batch   # 200-tx batches
#   runtime/guest/meter.sh /tmp/inputs/*.rlp                   # accelerated keccak (default)
#   KEEL_GUEST_FEATURES=none runtime/guest/meter.sh /tmp/inputs/*.rlp   # software keccak
#
# A file named <kind>-<txs>.rlp is reported per transaction too. Needs runtime/guest/setup.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
[ $# -gt 0 ] || { echo "usage: $0 INPUT.rlp..." >&2; exit 2; }
features=()
[ "${KEEL_GUEST_FEATURES:-default}" = "none" ] && features=(--no-default-features)
unset CARGO_TARGET_DIR
cargo openvm build --ignore-rust-version "${features[@]}" >&2
# The VM config of metered runs comes from the app key: make it from this openvm.toml.
cargo openvm keygen --app-only >&2
for file in "$@"; do
  json=$(mktemp --suffix .json)
  printf '{"input":["0x01%s"]}' "$(od -An -tx1 -v "$file" | tr -d ' \n')" > "$json"
  out=$(cargo openvm run --exe openvm/release/keel-guest.vmexe --input "$json" --mode meter)
  rm -f "$json"
  insns=$(sed -n 's/^Number of instructions executed: //p' <<<"$out")
  name=$(basename "$file" .rlp)
  txs=${name##*-}
  if [[ $txs =~ ^[0-9]+$ ]]; then
    echo "$name: $insns instructions, $((insns / txs)) per transaction"
  else
    echo "$name: $insns instructions"
  fi
done

#!/usr/bin/env bash
# Runs a Keel devnet: builds the node and the prover (release), starts the node with
# configs/devnet.toml and one `keel-prover --backend exec` against its proof coordinator.
# JSON-RPC answers on http://127.0.0.1:1729 (chain id 65536999); metrics on 127.0.0.1:9001;
# provers connect to 127.0.0.1:3900. The ten accounts of the `test test … junk` mnemonic hold
# 10000 ETH each (keys in the config). Ctrl-C stops both.
#
#   e2e/devnet.sh                      keep the chain in ./data/devnet between runs
#   KEEL_DATADIR=$(mktemp -d) e2e/devnet.sh   start from genesis
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keel-target}"
e2e/setup.sh
cargo build --locked --release -p keel-node -p keel-prover
bin="$CARGO_TARGET_DIR/release"

"$bin/keel" node --config configs/devnet.toml ${KEEL_DATADIR:+--datadir "$KEEL_DATADIR"} &
node=$!
prover=""
trap 'kill $node $prover 2>/dev/null; wait' EXIT INT TERM

# The prover retries until the coordinator listens, so it can start right away.
"$bin/keel-prover" --coordinator 127.0.0.1:3900 --backend exec --name devnet-exec &
prover=$!
echo "keel devnet: JSON-RPC http://127.0.0.1:1729, proof coordinator 127.0.0.1:3900 (keel-prover exec running)"
echo "batches: curl -s -H 'content-type: application/json' --data '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"keel_latestBatch\",\"params\":[]}' http://127.0.0.1:1729"
wait $node

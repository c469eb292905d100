#!/usr/bin/env bash
# Runs a Keel devnet: builds the node (release) and starts it with configs/devnet.toml.
# JSON-RPC answers on http://127.0.0.1:1729 (chain id 65536999); metrics on 127.0.0.1:9001.
# The ten accounts of the `test test … junk` mnemonic hold 10000 ETH each (keys in the config).
#
#   e2e/devnet.sh                      keep the chain in ./data/devnet between runs
#   KEEL_DATADIR=$(mktemp -d) e2e/devnet.sh   start from genesis
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keel-target}"
e2e/setup.sh
cargo build --locked --release -p keel-node
exec "$CARGO_TARGET_DIR/release/keel" node --config configs/devnet.toml ${KEEL_DATADIR:+--datadir "$KEEL_DATADIR"}

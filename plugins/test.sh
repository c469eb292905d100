#!/usr/bin/env bash
# Runs the plugins workspace's tests natively (the SDK and every plugin's logic; no Wasm).
# Extra arguments go to `cargo test`, e.g. `plugins/test.sh -p keel-plugin-fee-eip1559`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
echo "==> cargo test (plugins workspace, native)"
cargo test --workspace "$@"

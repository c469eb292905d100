#!/usr/bin/env bash
# Installs the pinned toolchain (npm ci) when node_modules is missing or does not match
# package-lock.json, then compiles contracts/src into contracts/out.
#   ./build.sh           rebuild artifacts
#   ./build.sh --check   fail if the committed artifacts differ from a fresh compile
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

stamp=node_modules/.keel-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    echo "build.sh: installing contracts toolchain (npm ci)" >&2
    npm ci --no-audit --no-fund >&2
    echo "$want" > "$stamp"
fi

exec node build.mjs "$@"

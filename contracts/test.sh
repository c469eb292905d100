#!/usr/bin/env bash
# Runs the Solidity tests in contracts/test/ with forge (Foundry), offline.
#
#   ./test.sh                       every test; prints each test's result and run count
#   ./test.sh --match-test Fuzz     any extra arguments go to `forge test`
#
# forge and solc come from node_modules (run ./build.sh once to install them); foundry.toml
# points forge at tools/solc, a wrapper around the npm solc, because forge cannot download a
# native solc offline. Exits nonzero when a test fails or the sources do not compile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

forge=node_modules/@foundry-rs/forge-linux-amd64/bin/forge
if [[ ! -x $forge || ! -d node_modules/solc ]]; then
    echo "test.sh: forge or solc is missing from contracts/node_modules; run contracts/build.sh once (npm ci)" >&2
    exit 1
fi

# -vv: reasons and counterexamples of failing tests; every test's line keeps its
# "(runs: N, μ: …)" (fuzz) or "(runs: N, calls: M, reverts: R)" (invariant) figures.
exec "$forge" test -vv "$@"

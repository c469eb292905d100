#!/usr/bin/env bash
# Runs a Keel devnet on this machine: an L1 (anvil, chain 31337, 1 s blocks, on 127.0.0.1:8545),
# Keel's contracts deployed on it (`keel deploy`), the Keel node with configs/devnet.toml (L2
# JSON-RPC on 127.0.0.1:1729, chain 65536999), one `keel-prover --backend exec` that proves
# every batch and signs it for the development verifier, and a follower node (configs/follower.toml,
# 127.0.0.1:1731) that rebuilds the chain from the blobs on L1. Batches are committed and verified on
# the L1 as they are sealed. Ctrl-C stops everything; the L1 state and the chain are kept.
#
#   e2e/devnet.sh                             keep L1 and L2 in ./data/devnet between runs
#   KEEL_DATADIR=$(mktemp -d) e2e/devnet.sh   start both from genesis
#   KEEL_DEVNET_PROVER=openvm e2e/devnet.sh   prove with OpenVM instead (in ./data/devnet-openvm):
#       builds keel-prover --features openvm (~40 CPU-minutes once) and the guest, deploys an
#       AttestingVerifier pinning the guest's program next to the DevVerifier, and runs one
#       prover holding both keys. On a CPU a batch takes minutes: the prover falls behind.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keel-target}"
backend="${KEEL_DEVNET_PROVER:-exec}"
case "$backend" in
  exec) datadir="${KEEL_DATADIR:-./data/devnet}" ;;
  openvm) datadir="${KEEL_DATADIR:-./data/devnet-openvm}" ;;
  *) echo "error: KEEL_DEVNET_PROVER must be exec or openvm, not $backend" >&2; exit 2 ;;
esac
mkdir -p "$datadir"
# The devnet prover's key (anvil account 8): l1.dev_provers, and the attester in openvm mode.
prover_key=0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97
prover_address=0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f

e2e/setup.sh
contracts/build.sh --check >/dev/null   # installs anvil and solc (npm ci) on first use
cargo build --locked --release -p keel-node -p keel-prover
bin="$CARGO_TARGET_DIR/release"
prover="$bin/keel-prover"
deploy_env=()
prover_args=(--backend exec --name devnet-exec)
if [ "$backend" = openvm ]; then
  runtime/guest/setup.sh --toolchain-only
  CARGO_TARGET_DIR="$CARGO_TARGET_DIR-openvm" cargo build --locked --release -p keel-prover --features openvm
  prover="$CARGO_TARGET_DIR-openvm/release/keel-prover"
  echo "==> the guest's program id (builds the guest and commits it: a minute or two)"
  program=$("$prover" --backend openvm --print-program | tail -n 1)
  deploy_env=(KEEL_L1__ATTESTING_PROVERS="$prover_address" KEEL_L1__ATTESTING_PROGRAM="$program")
  prover_args=(--backend openvm --name devnet-openvm --attester-key "$prover_key")
fi
anvil=contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil

pids=()
cleanup() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if curl -s -o /dev/null -m 1 http://127.0.0.1:8545; then
  echo "error: something already listens on 127.0.0.1:8545; stop it (or another devnet) first" >&2
  exit 1
fi
# --state keeps the L1 chain in the datadir across runs (written when anvil stops).
"$anvil" --host 127.0.0.1 --port 8545 --chain-id 31337 --hardfork prague --block-time 1 \
  --state "$datadir/anvil-state.json" --silent &
pids+=($!)
for _ in $(seq 100); do
  curl -s -m 1 -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' http://127.0.0.1:8545 >/dev/null && break
  sleep 0.1
done

# Idempotent: with the deployment file present and its contracts on this L1, nothing is sent
# (in openvm mode a changed guest then is refused by the node: start from a fresh datadir).
env "${deploy_env[@]}" "$bin/keel" deploy --config configs/devnet.toml --datadir "$datadir"

"$bin/keel" node --config configs/devnet.toml --datadir "$datadir" &
pids+=($!)
# A follower: a second node that rebuilds the chain from L1 alone (commits and their blobs) and
# forwards transactions to the sequencer.
KEEL_L1__DEPLOYMENT="$(cd "$datadir" && pwd)/l1-deployment.json" \
  "$bin/keel" node --config configs/follower.toml --datadir "$datadir/follower" &
pids+=($!)
# The prover retries until the coordinator listens; its key is the devnet's dev_provers entry.
KEEL_PROVER_DEV_KEY=$prover_key "$prover" --coordinator 127.0.0.1:3900 "${prover_args[@]}" &
pids+=($!)

cat <<INFO

keel devnet is running
  L1 (anvil)  http://127.0.0.1:8545   chain id 31337
  L2 (keel)   http://127.0.0.1:1729   chain id 65536999   metrics http://127.0.0.1:9001/metrics
  status page http://127.0.0.1:1734/  (open it in a browser: blocks, batches, provers, bridge, plugins)
  follower    http://127.0.0.1:1731   the same chain, rebuilt from L1's blobs (configs/follower.toml)
  prover      $backend
  contracts   $datadir/l1-deployment.json
$(sed -n 's/^ *"\(onChainProposer\|commonBridge\)": "\(.*\)",*$/    \1 \2/p' "$datadir/l1-deployment.json")
  funded keys (the same on L1 and L2; keys (8) and (9) are the prover's and the sequencer's):
$(sed -n 's/^#   (\([0-7]\)) \(0x[0-9a-fA-F]*\)  \(0x[0-9a-f]*\)$/    (\1) \2 \3/p' configs/devnet.toml)

  cast:            export PATH=$PWD/contracts/node_modules/.bin:\$PATH   (Foundry's cast 1.7.1, installed by the set-up)
  deposit 1 ETH:   cast send --rpc-url http://127.0.0.1:8545 --private-key <key> <commonBridge> 'deposit(address)' <L2 address> --value 1ether
  withdraw on L2:  cast send --rpc-url http://127.0.0.1:1729 --private-key <key> 0x000000000000000000000000000000000000ff01 'withdraw(address)' <L1 address> --value 0.4ether
  claim on L1:     $bin/keel withdraw claim --config configs/devnet.toml --datadir $datadir --tx <L2 tx hash> --key <key>
INFO
wait -n "${pids[@]}"

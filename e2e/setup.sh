#!/usr/bin/env bash
# Installs what building and testing Keel need, idempotently: a Rust toolchain (rustup), a C
# compiler (for secp256k1, blst, c-kzg), Node.js with npm (for solc and the L1 dev node),
# Chromium (the status page test) and the npm packages of e2e/js (viem, ethers).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  if have apt-get; then
    echo "==> installing $* with apt-get"
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq "$@"
    else sudo apt-get update -qq && sudo apt-get install -y -qq "$@"; fi
  else
    echo "error: $* missing and apt-get is not available; install them and re-run" >&2
    exit 1
  fi
}

if ! have cargo; then
  echo "==> installing Rust with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
have cc || apt_install build-essential
have node && have npm || apt_install nodejs npm
# Headless Chromium for the status page's browser test (Debian's package).
have chromium || have chromium-browser || apt_install chromium

# viem and ethers for the dApp-library test (e2e/js), pinned by its package-lock.json.
js=$(dirname "${BASH_SOURCE[0]}")/js
stamp=$js/node_modules/.keel-lock.sha256
want=$(sha256sum "$js/package-lock.json" | cut -d' ' -f1)
if [[ ! -d $js/node_modules || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "==> installing viem and ethers for e2e/js (npm ci)"
  (cd "$js" && npm ci --no-audit --no-fund)
  echo "$want" > "$stamp"
fi

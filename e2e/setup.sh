#!/usr/bin/env bash
# Installs what building and testing Keel need, idempotently: a Rust toolchain (rustup), a C
# compiler (for secp256k1, blst, c-kzg), Node.js with npm (for solc and the L1 dev node).
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

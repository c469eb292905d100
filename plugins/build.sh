#!/usr/bin/env bash
# Builds Keel's reference plugins as WebAssembly components into plugins/out/.
#
#   plugins/build.sh          build, check and write plugins/out/<name>.{wasm,toml}
#   plugins/build.sh --test   also run the plugins' native tests (same as plugins/test.sh)
#
# Idempotent: installs the wasm32-unknown-unknown target and wasm-tools only when missing.
# Honours CARGO_TARGET_DIR. Needs rustup and cargo; nothing else.
set -euo pipefail

# wasm-tools release installed when none is on PATH (1.263.0 needs rustc >= 1.88).
WASM_TOOLS_VERSION=1.263.0
TARGET=wasm32-unknown-unknown
PLUGINS=(
  ordering-priority-fee
  ordering-fifo
  fee-eip1559
  fee-fixed
  bridge-accept-all
  bridge-capped
  test-hostile-ordering
  test-hostile-ranking
)

run_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) run_tests=1 ;;
    -h | --help)
      sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build.sh: unknown argument '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Every WIT package version the host runs; a plugin names its own ([package.metadata.keel]
# wit = "X.Y.Z", default 0.1.0).
wit_versions=(0.1.0 0.2.0 0.3.0 0.4.0)
out="$here/out"
cd "$here"

fail() {
  echo "build.sh: $*" >&2
  exit 1
}

# --- toolchain ------------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx "$TARGET"; then
  echo "==> rustup target add $TARGET"
  rustup target add "$TARGET"
fi
if ! command -v wasm-tools > /dev/null; then
  echo "==> installing wasm-tools $WASM_TOOLS_VERSION"
  cargo install wasm-tools --version "$WASM_TOOLS_VERSION" --locked --no-default-features \
    --features component,validate,print,parse,strip,metadata
  command -v wasm-tools > /dev/null ||
    fail "wasm-tools installed but not on PATH (add \$CARGO_HOME/bin, usually ~/.cargo/bin)"
fi

# --- WIT lint -------------------------------------------------------------------------------
for version in "${wit_versions[@]}"; do
  echo "==> checking WIT ($here/../wit/v$version)"
  wasm-tools component wit "$here/../wit/v$version" > /dev/null
done

# --- build ----------------------------------------------------------------------------------
echo "==> cargo build --release --target $TARGET"
cargo build --release --target "$TARGET" --workspace
target_dir="$(cargo metadata --format-version 1 --no-deps |
  grep -o '"target_directory":"[^"]*"' | head -n1 | cut -d'"' -f4)"
[[ -n "$target_dir" ]] || fail "cannot find cargo's target directory"
core_dir="$target_dir/$TARGET/release"

# --- components -----------------------------------------------------------------------------
sha256() {
  if command -v sha256sum > /dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
summary=()
for name in "${PLUGINS[@]}"; do
  package="keel-plugin-$name"
  core="$core_dir/${package//-/_}.wasm"
  [[ -f "$core" ]] || fail "$name: no core module at $core"

  # The world the crate says it implements ([package.metadata.keel] world = "...").
  world="$(sed -n 's/^world *= *"\(.*\)"/\1/p' "$name/Cargo.toml" | head -n1)"
  [[ -n "$world" ]] || fail "$name: no [package.metadata.keel] world in $name/Cargo.toml"
  wit_version="$(sed -n 's/^wit *= *"\(.*\)"/\1/p' "$name/Cargo.toml" | head -n1)"
  wit_version="${wit_version:-0.1.0}"
  wit="$here/../wit/v$wit_version"
  [[ -d "$wit" ]] || fail "$name: wit = \"$wit_version\" but there is no $wit"
  pkgid="$(cargo pkgid -p "$package")"
  version="${pkgid##*@}"

  # The core module must import nothing: no WASI, no host functions.
  if wasm-tools print "$core" | grep -q '^ *(import '; then
    wasm-tools print "$core" | grep '^ *(import ' >&2
    fail "$name: the core module has imports; a plugin may import nothing"
  fi

  wasm="$tmp/$name.wasm"
  wasm-tools component new "$core" -o "$wasm"
  wasm-tools validate "$wasm"
  # It implements its world (exports it, imports nothing the world does not).
  wasm-tools component targets "$wit" "$wasm" --world "$world" ||
    fail "$name: does not implement world $world"
  # The only import allowed is the types-only interface the world's exports `use`
  # (keel:plugins/types: records and a list alias, no functions).
  wasm-tools component wit "$wasm" > "$tmp/$name.wit"
  imports="$(sed -n 's/^ *import \(.*\);$/\1/p' "$tmp/$name.wit" | grep -vx "keel:plugins/types@$wit_version" || true)"
  if [[ -n "$imports" ]]; then
    cat "$tmp/$name.wit" >&2
    fail "$name: imports $imports; a plugin may import nothing"
  fi
  if sed -n '/^ *interface types {/,/^ *}/p' "$tmp/$name.wit" | grep -q 'func('; then
    fail "$name: keel:plugins/types has functions; a plugin may import nothing"
  fi

  mv "$wasm" "$out/$name.wasm"
  digest="$(sha256 "$out/$name.wasm")"
  size="$(wc -c < "$out/$name.wasm" | tr -d ' ')"
  cat > "$out/$name.toml" <<EOF
# Written by plugins/build.sh; the node reads name and version from here.
name = "$name"
version = "$version"
world = "keel:plugins/$world@$wit_version"
wasm = "$name.wasm"
sha256 = "$digest"
size = $size
EOF
  summary+=("$(printf '%-24s %-16s %-6s %7d bytes  sha256 %s' "$name" "$world" "$wit_version" "$size" "${digest:0:16}")")
done

echo "==> components in $out"
printf '%s\n' "${summary[@]}"

if [[ "$run_tests" == 1 ]]; then
  "$here/test.sh"
fi

#!/usr/bin/env bash
# Install what building and testing need, when it is missing: Debian 12
# packages, then the pinned npm packages (package-lock.json).
# Safe to run again; installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  cmake make gcc g++ pkg-config clang lld libclang-rt-14-dev
  # engine: Wasm-to-C runtime pieces, in-memory C compiler, crypto, JSON
  wabt libtcc-dev libsodium-dev libjansson-dev
  # host, lattice and providers (event loop, NATS, HTTP, YAML)
  libuv1-dev libnats-dev nats-server libh2o-dev libcurl4-openssl-dev libyaml-dev
  # guest toolchains for tests: C to wasm32-wasi
  wasi-libc libclang-rt-14-dev-wasm32
  # tools: formatting, benchmarks, test peers
  clang-format-19 hyperfine wrk curl jq python3 nodejs
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages (jco, componentize-js), exactly as locked.
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    command -v npm >/dev/null || { echo "install-deps: npm is missing (install Node.js 20)"; exit 1; }
    echo "install-deps: npm ci"
    npm ci --no-audit --no-fund --ignore-scripts
  fi
fi

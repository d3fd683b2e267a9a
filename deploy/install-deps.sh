#!/usr/bin/env bash
# Installs every Debian package that respite's build, tests and benchmarks need.
# Idempotent: packages already present are left alone. Needs root (or sudo) and apt.
#   usage: install-deps.sh           (build, tests, benchmarks)
#          install-deps.sh --build   (only what compiling build/respite needs: the image's build
#                                     stage)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

build_only=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librocksdb-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libssl-dev libcli11-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
)

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang clang-format
  libclang-rt-14-dev libfuzzer-14-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libhiredis-dev librocksdb-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libssl-dev libcli11-dev
  # Lua scripting on the local store: Lua 5.1 with cjson and bitop, as Redis embeds them
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  # real peers for tests and benchmarks
  redis-server redis-tools nutcracker haproxy
  # test helpers (tcl and dpkg-dev: Redis' own test suite, fetched with apt-get source)
  procps iproute2 tmux curl python3 bsdutils tcl dpkg-dev
  # certificates for the TLS tests (tests/integration/tls_test.cpp)
  openssl
  # systemd-analyze checks deploy/respite.service (tests/deploy); systemd is not started
  systemd
  # real client libraries through an outage (tests/clients): redis-py, and Node.js for Redlock
  python3-redis nodejs
)
# npm installs tests/clients' pinned packages. A Node.js that bundles its own npm (NodeSource's
# nodejs, which conflicts with Debian's npm) will do.
command -v npm >/dev/null || packages+=(npm)
if [ "${1:-}" = --build ]; then packages=("${build_only[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
# Debian starts redis-server and nutcracker as services on install; respite's tests start their
# own on free ports, so keep the packaged services from grabbing 6379.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${#missing[@]} packages"

#!/usr/bin/env bash
# Installs what the proxy comparison (dev.sluice.benchmarks.proxy.ProxyComparison) runs, when missing:
#   nginx (the peer proxy and the upstream), wrk (maximum throughput), redis-server (the Global mode),
#   taskset (util-linux), from Debian; vegeta (the constant-rate generator) built from its Go module
#   into a cache directory, ${SLUICE_TOOLS_CACHE:-~/.cache/sluice-bench}/bin/vegeta; and for the gRPC modes
#   sluice-grpc-bench (benchmarks/grpc: grpc-go's benchmark server and a load client, grpc-go pinned in its go.mod
#   and go.sum), built static into the same directory, again whenever its sources change.
# Idempotent, and silent when everything is there. Usage: benchmarks/tools.sh [--print-vegeta]
set -euo pipefail

VEGETA_MODULE=github.com/tsenart/vegeta/v12
VEGETA_VERSION=v12.13.0
CACHE="${SLUICE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-bench}"
VEGETA="$CACHE/bin/vegeta"
GRPC_SOURCES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/grpc"
GRPC_BENCH="$CACHE/bin/sluice-grpc-bench"

missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "tools.sh: missing ${missing[*]}; run as root (apt-get install) or install them yourself" >&2
    exit 1
  fi
  echo "tools.sh: installing ${missing[*]} (apt-get)" >&2
  # Debian's nginx and redis packages start their services on install (port 80, port 6379): the benchmark
  # starts its own instances on free loopback ports, so forbid service starts during the install, unless
  # the machine already has a policy of its own, which is left as it is.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
fi

installed_version() {
  [[ -x $VEGETA ]] && "$VEGETA" -version 2>/dev/null | sed -n 's/^Version: *//p'
}

if [[ $(installed_version || true) != "$VEGETA_VERSION" ]]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "tools.sh: vegeta needs Go to build (apt-get install golang-go, or put go on PATH)" >&2
    exit 1
  fi
  echo "tools.sh: building vegeta $VEGETA_VERSION into $CACHE/bin" >&2
  mkdir -p "$CACHE/bin"
  # -ldflags: vegeta prints its version from these variables (its Makefile sets them the same way).
  GOBIN="$CACHE/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install \
    -ldflags "-X main.Version=$VEGETA_VERSION" "$VEGETA_MODULE@$VEGETA_VERSION"
fi

# The sources' digest, kept beside the binary: a changed main.go, go.mod or go.sum means a rebuild.
grpc_digest=$(cat "$GRPC_SOURCES"/go.mod "$GRPC_SOURCES"/go.sum "$GRPC_SOURCES"/*.go | sha256sum | cut -d' ' -f1)
if [[ ! -x $GRPC_BENCH || $(cat "$GRPC_BENCH.sha256" 2>/dev/null || true) != "$grpc_digest" ]]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "tools.sh: sluice-grpc-bench needs Go to build (apt-get install golang-go, or put go on PATH)" >&2
    exit 1
  fi
  echo "tools.sh: building sluice-grpc-bench (grpc-go $(sed -n 's/^require google.golang.org\/grpc //p' "$GRPC_SOURCES/go.mod")) into $CACHE/bin" >&2
  mkdir -p "$CACHE/bin"
  # -mod=readonly: the versions are go.mod's and go.sum's, never upgraded by the build; CGO_ENABLED=0: a static binary.
  (cd "$GRPC_SOURCES" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$GRPC_BENCH" .)
  echo "$grpc_digest" >"$GRPC_BENCH.sha256"
fi

if [[ ${1:-} == --print-vegeta ]]; then
  echo "$VEGETA"
fi

#!/usr/bin/env bash
# Installs what the proxy comparison (dev.sluice.benchmarks.proxy.ProxyComparison) runs, when missing:
#   nginx (the peer proxy and the upstream), wrk (maximum throughput), redis-server (the Global mode),
#   taskset (util-linux), from Debian; vegeta (the constant-rate generator) built from its Go module
#   into a cache directory, ${SLUICE_TOOLS_CACHE:-~/.cache/sluice-bench}/bin/vegeta.
# Idempotent, and silent when everything is there. Usage: benchmarks/tools.sh [--print-vegeta]
set -euo pipefail

VEGETA_MODULE=github.com/tsenart/vegeta/v12
VEGETA_VERSION=v12.13.0
CACHE="${SLUICE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-bench}"
VEGETA="$CACHE/bin/vegeta"

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

if [[ ${1:-} == --print-vegeta ]]; then
  echo "$VEGETA"
fi

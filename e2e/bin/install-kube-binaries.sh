#!/usr/bin/env bash
# Provides, without any download other than the Go module proxy (and, as a
# fallback, Debian apt), the three binaries that Fabric8 kube-api-test
# (io.fabric8:kube-api-test, @EnableKubeAPIServer) starts as local processes:
#
#   ${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/<K8S_VERSION>-linux-amd64/
#       kube-apiserver   built from the k8s.io/kubernetes Go module
#       etcd             built from the go.etcd.io/etcd/server/v3 Go module
#                        (fallback: Debian's etcd-server package)
#       kubectl          copied from Debian's kubectl package
#
# Idempotent: exits 0 at once when the three binaries are there and
# kube-apiserver reports the expected version. See e2e/bin/README.md.
#
# Knobs (environment):
#   K8S_VERSION        kube-apiserver version to build        (default 1.33.13)
#   ETCD_VERSION       etcd version to build                  (default 3.5.21)
#   KUBE_API_TEST_DIR  root folder kube-api-test reads        (default ~/.kubeapitest)
#   KUBECTL_SOURCE     kubectl to copy (default /usr/lib/google-cloud-sdk/bin/kubectl.<major.minor>)
#   KUBE_BINARIES_THROWAWAY_GO_CACHES=1
#                      build with a private GOMODCACHE/GOCACHE under the temp
#                      work dir and delete them afterwards (saves ~3 GB of disk,
#                      but a later rebuild starts cold again)
#   GOFLAGS, GOPROXY, GOMODCACHE, GOCACHE are honoured as set.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.33.13}"
ETCD_VERSION="${ETCD_VERSION:-3.5.21}"
K8S_VERSION="${K8S_VERSION#v}"
ETCD_VERSION="${ETCD_VERSION#v}"

k8s_major="${K8S_VERSION%%.*}"
k8s_rest="${K8S_VERSION#*.}"
k8s_minor="${k8s_rest%%.*}"
k8s_patch="${k8s_rest#*.}"
# Staging modules (k8s.io/api, k8s.io/apiserver, ...) are tagged v0.<minor>.<patch>.
STAGING_VERSION="v0.${k8s_minor}.${k8s_patch}"

ROOT_DIR="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
# kube-api-test: <dir>/k8s/<version> + "-" + os.name + "-" + arch (amd64/arm64/ppc64le)
case "$(uname -m)" in
  x86_64 | amd64) GOARCH_NAME=amd64 ;;
  aarch64 | arm64) GOARCH_NAME=arm64 ;;
  ppc64le) GOARCH_NAME=ppc64le ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
DEST="${ROOT_DIR}/k8s/${K8S_VERSION}-linux-${GOARCH_NAME}"
KUBECTL_SOURCE="${KUBECTL_SOURCE:-/usr/lib/google-cloud-sdk/bin/kubectl.${k8s_major}.${k8s_minor}}"

if [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:${PATH}"
fi
# Never let the go command fetch a newer toolchain: use the installed one.
export GOTOOLCHAIN=local

log() { printf '[install-kube-binaries] %s\n' "$*" >&2; }

T_START=$(date +%s)
step_start=0
step() { step_start=$(date +%s); log "== $*"; }
step_done() { log "   done in $(( $(date +%s) - step_start ))s: $*"; }

apiserver_version() {
  # "Kubernetes v1.33.13"
  "$1" --version 2>/dev/null | head -n1 || true
}

already_installed() {
  [ -x "${DEST}/kube-apiserver" ] && [ -x "${DEST}/etcd" ] && [ -x "${DEST}/kubectl" ] || return 1
  [ "$(apiserver_version "${DEST}/kube-apiserver")" = "Kubernetes v${K8S_VERSION}" ] || return 1
  "${DEST}/etcd" --version >/dev/null 2>&1 || return 1
  "${DEST}/kubectl" version --client >/dev/null 2>&1 || return 1
}

if already_installed; then
  log "kube-apiserver v${K8S_VERSION}, etcd and kubectl already in ${DEST}: nothing to do"
  exit 0
fi

command -v go >/dev/null || { log "go not found (expected /usr/local/go/bin/go)"; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kube-binaries.XXXXXX")"
cleanup() {
  # the module cache is read-only on disk; make it deletable first
  chmod -R u+w "${WORK}" 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT
if [ "${KUBE_BINARIES_THROWAWAY_GO_CACHES:-0}" = 1 ]; then
  export GOMODCACHE="${WORK}/gomodcache" GOCACHE="${WORK}/gocache"
fi
log "target ${DEST}; $(go version); GOFLAGS='$(go env GOFLAGS)' GOTOOLCHAIN=${GOTOOLCHAIN}"
log "GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)"
OUT="${WORK}/out"
mkdir -p "${OUT}"

json_field() { # json_field FIELD  (reads `go mod download -json` output on stdin)
  sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" | head -n1
}

# ---------------------------------------------------------------- kube-apiserver
step "kube-apiserver v${K8S_VERSION}: fetch k8s.io/kubernetes module"
mkdir -p "${WORK}/apiserver"
(cd "${WORK}/apiserver" && go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}") > "${WORK}/k8s.json"
K8S_GOMOD="$(json_field GoMod < "${WORK}/k8s.json")"
K8S_INFO="$(json_field Info < "${WORK}/k8s.json")"
[ -s "${K8S_GOMOD}" ] || { log "no go.mod for k8s.io/kubernetes@v${K8S_VERSION}"; cat "${WORK}/k8s.json" >&2; exit 1; }
K8S_COMMIT="$(grep -o '"Hash":"[0-9a-f]*"' "${K8S_INFO}" 2>/dev/null | head -n1 | cut -d'"' -f4 || true)"
K8S_GO_DIRECTIVE="$(awk '$1 == "go" { print $2; exit }' "${K8S_GOMOD}")"

# Every k8s.io/* module k8s.io/kubernetes pins at v0.0.0 or replaces with
# ./staging/src/...: point each at its published v0.<minor>.<patch> tag.
STAGING_MODULES="$(
  awk '
    /^replace[[:space:]]*\(/ { inrep = 1; next }
    inrep && /^\)/ { inrep = 0; next }
    inrep && $2 == "=>" && $3 ~ /^\.\/staging\// { print $1; next }
    /^replace[[:space:]]/ && $3 == "=>" && $4 ~ /^\.\/staging\// { print $2; next }
    $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }
  ' "${K8S_GOMOD}" | sort -u
)"
[ -n "${STAGING_MODULES}" ] || { log "found no staging modules in ${K8S_GOMOD}"; exit 1; }
log "   $(echo "${STAGING_MODULES}" | wc -l) staging modules -> ${STAGING_VERSION}"

{
  echo "module sluice.invalid/kube-apiserver-build"
  echo
  echo "go ${K8S_GO_DIRECTIVE:-1.24.0}"
  # same runtime defaults as the upstream build of this release
  grep -E '^godebug[[:space:]]' "${K8S_GOMOD}" || true
  echo
  echo "require k8s.io/kubernetes v${K8S_VERSION}"
  echo
  echo "replace ("
  for m in ${STAGING_MODULES}; do echo "	${m} => ${m} ${STAGING_VERSION}"; done
  echo ")"
} > "${WORK}/apiserver/go.mod"
step_done "go.mod written"

step "kube-apiserver v${K8S_VERSION}: resolve dependencies (go get)"
(cd "${WORK}/apiserver" && go get "k8s.io/kubernetes/cmd/kube-apiserver@v${K8S_VERSION}")
step_done "dependencies resolved"

step "kube-apiserver v${K8S_VERSION}: go build"
BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS+=" -X ${pkg}.gitMajor=${k8s_major}"
  K8S_LDFLAGS+=" -X ${pkg}.gitMinor=${k8s_minor}"
  K8S_LDFLAGS+=" -X ${pkg}.gitVersion=v${K8S_VERSION}"
  K8S_LDFLAGS+=" -X ${pkg}.gitTreeState=clean"
  K8S_LDFLAGS+=" -X ${pkg}.buildDate=${BUILD_DATE}"
  if [ -n "${K8S_COMMIT}" ]; then K8S_LDFLAGS+=" -X ${pkg}.gitCommit=${K8S_COMMIT}"; fi
done
(cd "${WORK}/apiserver" && CGO_ENABLED=0 go build -trimpath -ldflags "${K8S_LDFLAGS}" \
  -o "${OUT}/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
got="$(apiserver_version "${OUT}/kube-apiserver")"
[ "${got}" = "Kubernetes v${K8S_VERSION}" ] || { log "built kube-apiserver reports '${got}'"; exit 1; }
step_done "${got}, $(du -h "${OUT}/kube-apiserver" | cut -f1)"

# ---------------------------------------------------------------------- etcd
build_etcd() {
  local dir="${WORK}/etcd"
  mkdir -p "${dir}"
  printf 'module sluice.invalid/etcd-build\n\ngo 1.23\n' > "${dir}/go.mod"
  (cd "${dir}" && go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}") || return 1
  (cd "${dir}" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
    -o "${OUT}/etcd" go.etcd.io/etcd/server/v3) || return 1
  "${OUT}/etcd" --version | grep -q "etcd Version: ${ETCD_VERSION}" || return 1
}

step "etcd v${ETCD_VERSION}: build from go.etcd.io/etcd/server/v3"
if build_etcd; then
  step_done "$("${OUT}/etcd" --version | head -n1), $(du -h "${OUT}/etcd" | cut -f1)"
else
  log "   building etcd v${ETCD_VERSION} failed; falling back to Debian's etcd-server"
  if ! [ -x /usr/bin/etcd ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server
    fi
    # the package starts a system etcd on 2379; kube-api-test picks its own ports, but stop it anyway
    systemctl stop etcd 2>/dev/null || true
  fi
  cp /usr/bin/etcd "${OUT}/etcd"
  step_done "$("${OUT}/etcd" --version | head -n1) (Debian package)"
fi

# ------------------------------------------------------------------- kubectl
step "kubectl ${k8s_major}.${k8s_minor}"
if [ -x "${KUBECTL_SOURCE}" ]; then
  cp "${KUBECTL_SOURCE}" "${OUT}/kubectl"
  step_done "copied ${KUBECTL_SOURCE}"
else
  log "   ${KUBECTL_SOURCE} missing; building kubectl from the same module set"
  (cd "${WORK}/apiserver" && go get "k8s.io/kubernetes/cmd/kubectl@v${K8S_VERSION}" &&
    CGO_ENABLED=0 go build -trimpath -ldflags "${K8S_LDFLAGS}" -o "${OUT}/kubectl" k8s.io/kubernetes/cmd/kubectl)
  step_done "built kubectl"
fi
"${OUT}/kubectl" version --client >/dev/null

# ------------------------------------------------------------------- install
step "install into ${DEST}"
mkdir -p "$(dirname "${DEST}")"
staging="${DEST}.tmp.$$"
rm -rf "${staging}"
mkdir -p "${staging}"
cp "${OUT}/kube-apiserver" "${OUT}/etcd" "${OUT}/kubectl" "${staging}/"
chmod 0755 "${staging}"/*
rm -rf "${DEST}"
mv "${staging}" "${DEST}"
step_done "$(du -sh "${DEST}" | cut -f1) in ${DEST}"

log "all done in $(( $(date +%s) - T_START ))s"
if [ "${KUBE_BINARIES_THROWAWAY_GO_CACHES:-0}" != 1 ]; then
  log "Go caches now: $(du -sh "$(go env GOMODCACHE)" 2>/dev/null | cut -f1) module cache, $(du -sh "$(go env GOCACHE)" 2>/dev/null | cut -f1) build cache"
fi

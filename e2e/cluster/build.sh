#!/usr/bin/env bash
# Provides everything the e2e cluster needs (e2e/cluster/README.md), with no download other than
# Debian apt and the Go module proxy, and does nothing for what is already there:
#
#   Debian packages     containerd runc containernetworking-plugins iptables conntrack
#                       busybox-static (the test image), python3 (writes image tars)
#   ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/<K8S_VERSION>-linux-amd64/
#       kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy
#                       built in ONE `go build` from the k8s.io/kubernetes Go module
#       etcd            built from go.etcd.io/etcd/server/v3 (fallback: Debian's etcd-server)
#       kubectl         copied from google-cloud-sdk's kubectl.<major.minor>, built in the same
#                       `go build` when that file is missing
#       helm            built from helm.sh/helm/v3 (e2e/cluster/helm: go.mod and go.sum committed)
#   /var/lib/sluice-node/images/
#       pause.tar       localhost/pause:3.10, the pod sandbox (e2e/cluster/pause/pause.go)
#       busybox.tar     localhost/busybox:1.35, test workloads (Jobs, a small HTTP app)
#       coredns.tar     localhost/coredns:1.15.0, cluster DNS: github.com/coredns/coredns v1.15.0 with
#                       only the plugins the node uses (e2e/cluster/coredns; needs Go >= 1.26)
#       grpc-interop.tar  localhost/grpc-interop:<grpc version>, a gRPC server for GrpcE2E: grpc-go's
#                       interop test server (e2e/cluster/grpc: go.mod and go.sum committed)
#
# The folder of binaries is the one Fabric8 kube-api-test reads (the name stays: node.sh, the e2e
# tests and ./demo.sh look there).
#
# Cost, cold (empty Go caches, 2 cores): about 17 minutes, nearly all of it the Go build of the five
# Kubernetes binaries (they share most packages, hence one build: ~6 min for the four besides the
# apiserver, ~4 min for the apiserver), etcd (~30 s), CoreDNS (~6 min on a shared machine: it
# depends on client-go 0.37, compiled apart from the Kubernetes 1.33 one) and the gRPC test server
# (~2.5 min on a shared machine); apt ~20 s. Peak memory ~1.8 GB
# per link (two links run at once). Disk: ~530 MB of binaries, ~70 MB of images, ~1.5 GB Go module
# cache and ~3.7 GB Go build cache (KUBE_BINARIES_THROWAWAY_GO_CACHES=1 deletes both afterwards).
# Nothing to do: ~1 s.
#
# Knobs (environment):
#   K8S_VERSION (1.33.13)  ETCD_VERSION (3.5.21)  KUBE_API_TEST_DIR (~/.kubeapitest)
#   KUBECTL_SOURCE (/usr/lib/google-cloud-sdk/bin/kubectl.<major.minor>)
#   KUBE_BINARIES_THROWAWAY_GO_CACHES=1   private GOMODCACHE/GOCACHE, deleted afterwards
#   GOFLAGS, GOPROXY, GOMODCACHE, GOCACHE are honoured as set.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION="${K8S_VERSION:-1.33.13}"; K8S_VERSION="${K8S_VERSION#v}"
ETCD_VERSION="${ETCD_VERSION:-3.5.21}"; ETCD_VERSION="${ETCD_VERSION#v}"
# helm's version is the one e2e/cluster/helm/go.mod requires.
HELM_VERSION="$(awk '$1 == "helm.sh/helm/v3" { print $2 }' "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/helm/go.mod")"
# the gRPC test server's image is tagged with the grpc-go release e2e/cluster/grpc/go.mod requires
GRPC_VERSION="$(awk '$1 == "google.golang.org/grpc" { print $2 }' "${HERE}/grpc/go.mod")"
k8s_major="${K8S_VERSION%%.*}"
k8s_rest="${K8S_VERSION#*.}"
k8s_minor="${k8s_rest%%.*}"
k8s_patch="${k8s_rest#*.}"
# Staging modules (k8s.io/api, k8s.io/apiserver, ...) are tagged v0.<minor>.<patch>.
STAGING_VERSION="v0.${k8s_minor}.${k8s_patch}"

case "$(uname -m)" in
  x86_64 | amd64) GOARCH_NAME=amd64 ;;
  aarch64 | arm64) GOARCH_NAME=arm64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
# kube-api-test reads <dir>/k8s/<version>-<os>-<arch>; the e2e node runs from the same folder.
BIN="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-linux-${GOARCH_NAME}"
# Fixed: e2e/cluster/node.sh keeps the node's state beside them, one place for the whole machine.
IMAGES=/var/lib/sluice-node/images
KUBECTL_SOURCE="${KUBECTL_SOURCE:-/usr/lib/google-cloud-sdk/bin/kubectl.${k8s_major}.${k8s_minor}}"
K8S_COMMANDS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
PACKAGES="containerd runc containernetworking-plugins iptables conntrack busybox-static python3"
IMAGE_NAMES="pause busybox coredns grpc-interop"
WITH_HELM=1
case "${1:-}" in
  "") ;;
  *) echo "usage: build.sh (no arguments: it builds what is missing)" >&2; exit 64 ;;
esac

if [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:${PATH}"; fi
# Never let the go command fetch a newer toolchain: use the installed one.
export GOTOOLCHAIN=local

log() { printf '[cluster/build] %s\n' "$*" >&2; }
T_START=$(date +%s)
step_start=0
step() { step_start=$(date +%s); log "== $*"; }
step_done() { log "   done in $(( $(date +%s) - step_start ))s: $*"; }

k8s_current() { # k8s_current NAME: the binary is there and reports this release
  [ "$("${BIN}/$1" --version 2>/dev/null | sed -n 1p)" = "Kubernetes v${K8S_VERSION}" ]
}
# (output captured first: `cmd | grep -q` fails under pipefail when grep exits before cmd is done)
etcd_current() { local v; v="$("${BIN}/etcd" --version 2>/dev/null)" && [[ "${v}" == *"etcd Version: ${ETCD_VERSION}"* ]]; }
helm_current() { local v; v="$("${BIN}/helm" version --short 2>/dev/null)" && [[ "${v}" == "${HELM_VERSION}"* ]]; }
kubectl_current() { local v; v="$("${BIN}/kubectl" version --client 2>/dev/null)" && [[ "${v}" == *"v${k8s_major}.${k8s_minor}."* ]]; }

missing_packages=""
for p in ${PACKAGES}; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "ok installed" >/dev/null || missing_packages+=" $p"; done
missing_k8s=""
for c in ${K8S_COMMANDS}; do k8s_current "$c" || missing_k8s+=" $c"; done
missing_images=""
for i in ${IMAGE_NAMES}; do [ -s "${IMAGES}/$i.tar" ] || missing_images+=" $i"; done
if [ -z "${missing_packages}${missing_k8s}${missing_images}" ] && etcd_current && kubectl_current \
    && { [ "${WITH_HELM}" = 0 ] || helm_current; }; then
  log "${PACKAGES:+packages, }Kubernetes v${K8S_VERSION} binaries, etcd, kubectl${IMAGE_NAMES:+, helm and images} already there: nothing to do"
  exit 0
fi

# --------------------------------------------------------------------- Debian packages
if [ -n "${missing_packages}" ]; then
  step "apt-get install${missing_packages}"
  [ "$(id -u)" = 0 ] || { log "installing packages needs root"; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing_packages} >/dev/null
  step_done "installed${missing_packages}"
fi

command -v go >/dev/null || { log "go not found (expected /usr/local/go/bin/go)"; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sluice-cluster-build.XXXXXX")"
cleanup() {
  # the module cache is read-only on disk; make it deletable first
  chmod -R u+w "${WORK}" 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT
if [ "${KUBE_BINARIES_THROWAWAY_GO_CACHES:-0}" = 1 ]; then
  export GOMODCACHE="${WORK}/gomodcache" GOCACHE="${WORK}/gocache"
fi
OUT="${WORK}/out"
mkdir -p "${OUT}" "${BIN}" "${IMAGES}"

install_binary() { # install_binary FILE: atomic per file, so a reader never sees half a binary
  chmod 0755 "$1"
  cp "$1" "${BIN}/.$(basename "$1").tmp.$$"
  mv -f "${BIN}/.$(basename "$1").tmp.$$" "${BIN}/$(basename "$1")"
}

# --------------------------------------------------------------------- Kubernetes binaries
want="${missing_k8s}"
if ! kubectl_current; then
  if [ -x "${KUBECTL_SOURCE}" ]; then
    cp "${KUBECTL_SOURCE}" "${OUT}/kubectl"
    install_binary "${OUT}/kubectl"
    log "kubectl: copied ${KUBECTL_SOURCE}"
  else
    want+=" kubectl"
  fi
fi
if [ -n "${want}" ]; then
  log "target ${BIN}; $(go version); GOFLAGS='$(go env GOFLAGS)'"
  log "GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)"
  step "Kubernetes v${K8S_VERSION}: fetch the k8s.io/kubernetes module"
  mod="${WORK}/k8s"
  mkdir -p "${mod}"
  json="$(cd "${mod}" && go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}")"
  json_field() { printf '%s\n' "${json}" | sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" | sed -n 1p; }
  k8s_gomod="$(json_field GoMod)"
  k8s_info="$(json_field Info)"
  [ -s "${k8s_gomod}" ] || { log "no go.mod for k8s.io/kubernetes@v${K8S_VERSION}"; printf '%s\n' "${json}" >&2; exit 1; }
  k8s_commit="$(grep -o '"Hash":"[0-9a-f]*"' "${k8s_info}" 2>/dev/null | sed -n 1p | cut -d'"' -f4 || true)"
  # Every k8s.io/* module k8s.io/kubernetes pins at v0.0.0 or replaces with ./staging/src/...:
  # point each at its published v0.<minor>.<patch> tag, in a throwaway consuming module.
  staging_modules="$(
    awk '
      /^replace[[:space:]]*\(/ { inrep = 1; next }
      inrep && /^\)/ { inrep = 0; next }
      inrep && $2 == "=>" && $3 ~ /^\.\/staging\// { print $1; next }
      /^replace[[:space:]]/ && $3 == "=>" && $4 ~ /^\.\/staging\// { print $2; next }
      $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }
    ' "${k8s_gomod}" | sort -u
  )"
  [ -n "${staging_modules}" ] || { log "found no staging modules in ${k8s_gomod}"; exit 1; }
  {
    echo "module sluice.invalid/kubernetes-build"
    echo
    echo "go $(awk '$1 == "go" { print $2; exit }' "${k8s_gomod}")"
    # same runtime defaults as the upstream build of this release
    grep -E '^godebug[[:space:]]' "${k8s_gomod}" || true
    echo
    echo "require k8s.io/kubernetes v${K8S_VERSION}"
    echo
    echo "replace ("
    for m in ${staging_modules}; do echo "	${m} => ${m} ${STAGING_VERSION}"; done
    echo ")"
  } > "${mod}/go.mod"
  step_done "$(echo "${staging_modules}" | wc -l) staging modules -> ${STAGING_VERSION}"

  packages=""
  for c in ${want}; do packages+=" k8s.io/kubernetes/cmd/${c}"; done
  step "Kubernetes v${K8S_VERSION}: resolve dependencies (go get)"
  (cd "${mod}" && go get $(for p in ${packages}; do echo "${p}@v${K8S_VERSION}"; done))
  step_done "dependencies resolved"

  step "Kubernetes v${K8S_VERSION}: one go build of${want}"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitMajor=${k8s_major} -X ${pkg}.gitMinor=${k8s_minor}"
    ldflags+=" -X ${pkg}.gitVersion=v${K8S_VERSION} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
    if [ -n "${k8s_commit}" ]; then ldflags+=" -X ${pkg}.gitCommit=${k8s_commit}"; fi
  done
  # One invocation: the shared packages (client-go, apiserver, api, ...) compile once.
  (cd "${mod}" && CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" -o "${OUT}/" ${packages})
  for c in ${want}; do
    got="$("${OUT}/${c}" --version 2>/dev/null | sed -n 1p || true)"
    case "${c}:${got}" in
      kubectl:*) "${OUT}/kubectl" version --client >/dev/null ;;
      *:"Kubernetes v${K8S_VERSION}") ;;
      *) log "${c} reports '${got}', expected 'Kubernetes v${K8S_VERSION}'"; exit 1 ;;
    esac
    install_binary "${OUT}/${c}"
  done
  step_done "${want} ($(cd "${BIN}" && du -ch ${want} | tail -n1 | cut -f1))"
fi

# --------------------------------------------------------------------- etcd
build_etcd() {
  local dir="${WORK}/etcd"
  mkdir -p "${dir}"
  printf 'module sluice.invalid/etcd-build\n\ngo 1.23\n' > "${dir}/go.mod"
  (cd "${dir}" && go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}") || return 1
  (cd "${dir}" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
    -o "${OUT}/etcd" go.etcd.io/etcd/server/v3) || return 1
  [[ "$("${OUT}/etcd" --version)" == *"etcd Version: ${ETCD_VERSION}"* ]] || return 1
}
if ! etcd_current; then
  step "etcd v${ETCD_VERSION}: build from go.etcd.io/etcd/server/v3"
  if build_etcd; then
    install_binary "${OUT}/etcd"
    step_done "$("${BIN}/etcd" --version | sed -n 1p)"
  elif ! [ -x "${BIN}/etcd" ]; then
    log "   building etcd v${ETCD_VERSION} failed; falling back to Debian's etcd-server"
    [ -x /usr/bin/etcd ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
    # the package may start a system etcd on 2379; the e2e node uses other ports, but stop it anyway
    systemctl stop etcd 2>/dev/null || true
    cp /usr/bin/etcd "${OUT}/etcd"
    install_binary "${OUT}/etcd"
    step_done "$("${BIN}/etcd" --version | sed -n 1p) (Debian package)"
  else
    log "   building etcd v${ETCD_VERSION} failed; keeping $("${BIN}/etcd" --version | sed -n 1p)"
  fi
fi

# --------------------------------------------------------------------- helm
# From its Go module, like the Kubernetes binaries, with the version flags its Makefile sets (the
# Kubernetes version it assumes for `helm template`/`lint` is its client-go's minor).
if [ "${WITH_HELM}" = 1 ] && ! helm_current; then
  step "helm ${HELM_VERSION}: build from helm.sh/helm/v3 (e2e/cluster/helm)"
  client_go_minor="$(cd "${HERE}/helm" && go list -mod=readonly -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)"
  helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    helm_ldflags+=" -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=${client_go_minor}"
  done
  (cd "${HERE}/helm" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "${helm_ldflags}" -o "${OUT}/helm" helm.sh/helm/v3/cmd/helm)
  install_binary "${OUT}/helm"
  step_done "$("${BIN}/helm" version --short)"
fi

# --------------------------------------------------------------------- images
# No registry is reachable: images are tars that e2e/cluster/node.sh imports into containerd,
# named localhost/<name>:<tag> with a tag other than 'latest' so the kubelet never pulls.
if [ -n "${missing_images}" ]; then
  step "images:${missing_images}"
  if [ ! -s "${IMAGES}/pause.tar" ]; then
    root="${WORK}/pause-rootfs"
    mkdir -p "${root}"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "${root}/pause" "${HERE}/pause/pause.go"
    python3 "${HERE}/../../images/oci-image.py" --rootfs "${root}" --ref localhost/pause:3.10 --out "${IMAGES}/pause.tar" \
      --entrypoint '["/pause"]' --user 65535:65535 >&2
  fi
  if [ ! -s "${IMAGES}/busybox.tar" ]; then
    # busybox-static: sh, sleep, httpd, nc. Its wget segfaults in a container (static glibc NSS).
    root="${WORK}/busybox-rootfs"
    mkdir -p "${root}/bin" "${root}/etc" "${root}/tmp" "${root}/www"
    chmod 1777 "${root}/tmp"
    cp /bin/busybox "${root}/bin/busybox"
    for applet in $(/bin/busybox --list); do [ "${applet}" = busybox ] || ln -s busybox "${root}/bin/${applet}"; done
    printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "${root}/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' > "${root}/etc/group"
    echo "hello from a pod" > "${root}/www/index.html"
    python3 "${HERE}/../../images/oci-image.py" --rootfs "${root}" --ref localhost/busybox:1.35 --out "${IMAGES}/busybox.tar" \
      --cmd '["/bin/sh"]' >&2
  fi
  if [ ! -s "${IMAGES}/coredns.tar" ]; then
    # go.mod and go.sum are committed beside main.go: the build resolves nothing new.
    root="${WORK}/coredns-rootfs"
    mkdir -p "${root}/etc"
    (cd "${HERE}/coredns" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w" -o "${root}/coredns" .)
    printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' > "${root}/etc/passwd"
    python3 "${HERE}/../../images/oci-image.py" --rootfs "${root}" --ref localhost/coredns:1.15.0 --out "${IMAGES}/coredns.tar" \
      --entrypoint '["/coredns"]' --user 65532:65532 >&2
  fi
  if [ ! -s "${IMAGES}/grpc-interop.tar" ]; then
    # grpc-go's interop test server (grpc.testing.TestService: EmptyCall, UnaryCall, the streaming
    # calls) for GrpcE2E; flags --port and --use_tls=false. The module only names it as a tool, so
    # `go mod tidy` keeps its dependencies, and go.sum is committed: the build resolves nothing new.
    root="${WORK}/grpc-interop-rootfs"
    mkdir -p "${root}/etc"
    (cd "${HERE}/grpc" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w" -o "${root}/interop-server" google.golang.org/grpc/interop/server)
    printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' > "${root}/etc/passwd"
    python3 "${HERE}/../../images/oci-image.py" --rootfs "${root}" --ref "localhost/grpc-interop:${GRPC_VERSION#v}" --out "${IMAGES}/grpc-interop.tar" \
      --entrypoint '["/interop-server"]' --user 65532:65532 >&2
  fi
  step_done "$(cd "${IMAGES}" && du -ch *.tar | tail -n1 | cut -f1) in ${IMAGES}"
fi

log "all done in $(( $(date +%s) - T_START ))s"
if [ "${KUBE_BINARIES_THROWAWAY_GO_CACHES:-0}" != 1 ]; then
  log "Go caches now: $(du -sh "$(go env GOMODCACHE)" 2>/dev/null | cut -f1) module cache, $(du -sh "$(go env GOCACHE)" 2>/dev/null | cut -f1) build cache"
fi

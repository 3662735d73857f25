#!/usr/bin/env bash
# The demo: Sluice as a user meets it, on a Kubernetes cluster. Ctrl-C stops it; it then removes what
# it made.
#
#   ./demo.sh [--yes]     on this machine's real single-node cluster (e2e/cluster/node.sh; needs root):
#                         builds what is missing (the Kubernetes binaries and helm, cold ~15 min; the
#                         images), brings the node up, imports the operator and sidecar images,
#                         `kubectl apply -f crds/`, `helm install` of charts/sluice, a sample app in a namespace
#                         labelled for injection (the operator's webhook adds the sidecar) behind a Service, examples/ applied, simulated clients and
#                         a live view; at the end helm uninstall, the namespaces deleted, `node.sh down`
#                         (which restores the iptables rules, addresses and sysctls the node changed).
#                         It asks before changing the machine; --yes (or DEMO_YES=1) answers for it, and
#                         without a terminal it refuses unless given.
#   ./demo.sh --kubeconfig PATH [--image-registry REGISTRY] [--image-tag TAG] [--yes]
#                         the same on the cluster of that kubeconfig (kind, minikube, any): nothing of this
#                         machine's node is touched. The images come from REGISTRY (you pushed
#                         sluice-operator and sluice-sidecar there), or, without it, must have been loaded
#                         into the cluster's nodes under their localhost/ names (it prints how for kind and
#                         minikube). The traffic reaches the Service through `kubectl port-forward`.
#   ./demo.sh --standalone   the sidecar alone with examples/sidecar.yaml, no Kubernetes
#
#   DEMO_SECONDS=N   traffic for N seconds (default: until Ctrl-C; 30 when not on a terminal)
#   SLUICE_IMAGE_REGISTRY, SLUICE_IMAGE_TAG   as --image-registry and --image-tag
#   DEMO_OPERATOR_REPLICAS   operator replicas (the chart's replicaCount): 1 on the local node, 2 (the chart's default) with --kubeconfig
#   DEMO_APP_IMAGE   the sample app's image with --kubeconfig (busybox:1.36; the local node: localhost/busybox:1.35)
#   DEMO_PORT, DEMO_ADMIN_PORT   local ports of the traffic and admin port-forwards (--kubeconfig), and of
#                    the standalone sidecar (8080, 9090); DEMO_UPSTREAM_PORT: the standalone sample app (8081)
set -euo pipefail
cd "$(dirname "$0")"

port=${DEMO_PORT:-8080}
# the injected sidecar's admin port in the pod (the chart's sidecar.adminPort)
sidecar_admin_port=15021
admin=${DEMO_ADMIN_PORT:-9090}
upstream=${DEMO_UPSTREAM_PORT:-8081}
seconds=${DEMO_SECONDS:-}
work=$(mktemp -d)
pids=()         # background processes the demo started
teardown=()     # commands that undo what the demo made on the cluster, run last to first
phases=()       # "  12.3s  name" of each timed step
parts=()        # the times within the step running, listed after it
node_sh=e2e/cluster/node.sh
bin=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.13-linux-amd64
version=$(sed -n 's/^appVersion: *//p' charts/sluice/Chart.yaml)
ns=shop
release=sluice
release_ns=sluice-system
t0=$EPOCHREALTIME
built=0.0       # seconds of builds the demo ran first (counted in its time to the first 429)

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
phase() { # phase NAME CMD...: runs CMD, records how long it took
  local name=$1 began=$EPOCHREALTIME
  shift
  echo "== $name"
  "$@"
  phases+=("$(printf '%7ss  %s' "$(since "$began")" "$name")" ${parts[@]+"${parts[@]}"})
  parts=()
}
print_phases() {
  (( ${#phases[@]} )) || return 0
  echo "phases:"
  printf '  %s\n' "${phases[@]}"
}

# The local node is ours when node.sh names this shell as its owner: only then does the demo take it down.
# (The status is read whole first: with pipefail, a grep -q that stops reading fails the pipeline.)
node_is_ours() {
  local status
  status=$(bash "$node_sh" status 2>/dev/null) || return 1
  [[ $(head -n 1 <<< "$status") == *"owned by pid $$ ("* ]]
}

# The demo's own stdout and stderr, kept as 3 and 4: Ctrl-C can come while a command's output goes
# to /dev/null (kubectl get ... > /dev/null), and the trap then runs with that redirection in force.
exec 3>&1 4>&2
cleanup() {
  local status=$?
  exec 1>&3 2>&4
  trap '' INT TERM    # a second Ctrl-C must not cut the teardown short
  if (( ${#pids[@]} )); then echo "stopping what the demo started..."; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if (( ${#teardown[@]} )); then
    echo "removing what the demo made on the cluster..."
    local began=$EPOCHREALTIME i
    for (( i = ${#teardown[@]} - 1; i >= 0; i-- )); do eval "${teardown[i]}" || true; done
    phases+=("$(printf '%7ss  %s' "$(since "$began")" "teardown: helm uninstall, namespaces, CRDs")")
  fi
  if [[ -n "${node_started:-}" ]]; then
    if node_is_ours; then
      local began=$EPOCHREALTIME
      echo "taking the local cluster down (node.sh down: restores iptables, addresses, sysctls)..."
      bash "$node_sh" down --owner $$ 2>&1 | tail -n 1
      phases+=("$(printf '%7ss  %s' "$(since "$began")" "node.sh down")")
    else
      echo "the local cluster is not held by this demo (any more): left alone"
    fi
  fi
  print_phases
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "demo: $*" >&2; exit 1; }

# Counters of the simulated clients; the sidecar's per-rule metrics. traffic_url: where requests go
# (the sidecar's port); admin_url: the sidecar's admin port.
declare -A sent ok limited
first_429=
send() { # name count path headers...
  local name=$1 count=$2 path=$3; shift 3
  local args=() code
  for h in "$@"; do args+=(-H "$h"); done
  for _ in $(seq 1 "$count"); do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "${args[@]}" "$traffic_url$path" || echo 000)
    sent[$name]=$(( ${sent[$name]:-0} + 1 ))
    if [[ $code == 200 ]]; then ok[$name]=$(( ${ok[$name]:-0} + 1 )); fi
    if [[ $code == 429 ]]; then
      limited[$name]=$(( ${limited[$name]:-0} + 1 ))
      [[ -n "$first_429" ]] || first_429=$(since "$t0")
    fi
  done
}
metric() { curl -s -m 5 "$admin_url/metrics" | awk -v m="$1" -v r="rule=\"$2\"" 'index($0, m"{")==1 && index($0, r) {s+=$NF} END {printf "%d", s}'; }
clients_table() {
  printf '%-8s %6s %6s %6s\n' client sent 200 429
  for name in alice bob carol; do
    printf '%-8s %6d %6d %6d\n' "$name" "${sent[$name]:-0}" "${ok[$name]:-0}" "${limited[$name]:-0}"
  done
}
rules_table() {
  printf '%-22s %9s %9s %16s\n' rule evaluated rejected shadow-rejected
  for rule in "$@"; do
    printf '%-22s %9s %9s %16s\n' "$rule" "$(metric rate_limit_requests_total "$rule")" \
      "$(metric rate_limit_rejected_total "$rule")" "$(metric rate_limit_shadow_rejected_total "$rule")"
  done
}
traffic() {
  send alice 12 /api/orders "X-Forwarded-For: 203.0.113.10" "X-Api-Key: A" "X-Plan: free"
  send bob 12 /api/orders "X-Forwarded-For: 203.0.113.20" "X-Api-Key: B" "X-Plan: premium"
  send carol 8 /api/search "X-Forwarded-For: 203.0.113.30"
}
wait_ready() { # what url timeout-seconds
  for _ in $(seq 1 $(( $3 * 5 ))); do
    if curl -sf -m 2 "$2" > /dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$1 did not become ready ($2)"; return 1
}

standalone_demo() {
  if [[ -z "$seconds" && ! -t 1 ]]; then seconds=20; fi
  jar=sidecar/target/sluice-sidecar.jar
  # the jar's launcher, built next to it: the image's JVM flags and the class data sharing archive
  launcher=sidecar/target/sluice-sidecar
  if [[ ! -f "$jar" || ! -x "$launcher" ]] || [[ -n "$(find api/src sidecar/src -newer "$jar" -type f -print -quit)" ]]; then
    echo "building the sidecar (mvn package)..."
    mvn -B -q -DskipTests -pl api,sidecar -am package
  fi

  traffic_url=http://127.0.0.1:$port admin_url=http://127.0.0.1:$admin
  java examples/SampleUpstream.java "$upstream" > "$work/upstream.log" 2>&1 &
  pids+=($!)
  "$launcher" --config examples/sidecar.yaml --upstream "http://127.0.0.1:$upstream" \
    --bind 127.0.0.1 --port "$port" --admin-port "$admin" > "$work/sidecar.log" 2>&1 &
  pids+=($!)
  wait_ready "the sample app" "http://127.0.0.1:$upstream/" 20
  wait_ready "the sidecar" "http://127.0.0.1:$admin/readyz" 20 || { cat "$work/sidecar.log"; exit 1; }

  cat <<TXT
Sluice sidecar on http://127.0.0.1:$port in front of the sample app on :$upstream; admin on http://127.0.0.1:$admin
Try it yourself:  curl -i http://127.0.0.1:$port/api/hello      curl http://127.0.0.1:$admin/config
Simulated clients each second (X-Forwarded-For from the trusted loopback proxy):
  alice   12 requests to /api/orders, plan free     (key A)
  bob     12 requests to /api/orders, plan premium  (key B)
  carol    8 requests to /api/search
TXT
  start=$SECONDS
  while [[ -z "$seconds" ]] || (( SECONDS - start < seconds )); do
    traffic
    printf '\n--- after %ss ---\n' "$(( SECONDS - start ))"
    clients_table
    rules_table global per-client search plans daily-quota stricter-per-client
    sleep 1
  done
  echo; echo "stopping (sidecar log: last lines)"; tail -n 5 "$work/sidecar.log"
}


# ------------------------------------------------------------------------------------- on a cluster

# What the demo needs to have built: the operator and sidecar image tars (Jib on the base image of
# images/build-base.sh), rebuilt when a source is newer.
operator_tar=operator/target/sluice-operator-image.tar
sidecar_tar=sidecar/target/sluice-sidecar-image.tar
images_stale() {
  local tar
  for tar in "$operator_tar" "$sidecar_tar"; do
    if [[ ! -s "$tar" ]] || [[ -n "$(find api/src sidecar/src operator/src pom.xml api/pom.xml sidecar/pom.xml operator/pom.xml images -newer "$tar" -type f -not -path 'images/target/*' -print -quit)" ]]; then return 0; fi
  done
  return 1
}
build_images() {
  bash images/build-base.sh
  mvn -B -q -DskipTests -pl operator,sidecar -am package
}
# The reference a tar's index.json names, e.g. localhost/sluice-operator:0.1.0-SNAPSHOT.
tar_reference() { tar -xOf "$1" index.json | grep -o '"org.opencontainers.image.ref.name":"[^"]*"' | head -n 1 | cut -d'"' -f4; }

confirm() { # confirm TEXT: shows what is about to happen, and asks (or --yes has answered)
  echo "$1"
  if [[ -n "$yes" ]]; then echo "(--yes: going ahead)"; return 0; fi
  if [[ ! -t 0 ]]; then
    echo "demo: no terminal to ask on: run ./demo.sh --yes (or DEMO_YES=1) to go ahead without the question" >&2
    exit 64
  fi
  local answer
  read -r -p "Go ahead? [y/N] " answer
  [[ $answer == [yY] || $answer == [yY][eE][sS] ]] || { echo "nothing done"; exit 0; }
}

local_demo() {
  local missing=() c
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl helm; do
    [[ -x "$bin/$c" ]] || missing+=("$c")
  done
  for c in pause busybox coredns; do [[ -s /var/lib/sluice-node/images/$c.tar ]] || missing+=("images/$c.tar"); done
  for c in containerd runc iptables conntrack; do command -v "$c" > /dev/null || missing+=("$c"); done
  local what_builds=""
  if (( ${#missing[@]} )); then
    what_builds+="
  * build what the node lacks (${missing[*]}) with e2e/cluster/build.sh: Debian packages by apt-get,
    the Kubernetes 1.33 binaries, etcd and helm by go build from the Go module proxy, the node's pause,
    busybox and CoreDNS images, the e2e tests' gRPC server. Cold: about 17 minutes on 2 cores and about
    6 GB of disk (Go caches)."
  fi
  if images_stale; then
    what_builds+="
  * build the operator and sidecar images (images/build-base.sh, then mvn package: about 2-3 minutes)."
  fi

  # One operator replica on this one node of 2 cores: two replicas starting at once share the cores
  # and took 40 s to be Ready against 18 s for one (helm install --wait, machine loaded); the
  # chart's default is 2 (one leader), DEMO_OPERATOR_REPLICAS=2 shows it.
  operator_replicas=${DEMO_OPERATOR_REPLICAS:-1}

  # Never take over a cluster someone else holds (another checkout's e2e run, a developer's node.sh up).
  local held
  if held=$(bash "$node_sh" status 2>/dev/null); then
    echo "The local cluster is in use: $(head -n 1 <<< "$held")"
    echo "The demo does not take it over. Try again once it is down, or run it on another cluster: ./demo.sh --kubeconfig PATH"
    exit 1
  fi
  [[ $(id -u) == 0 ]] || die "the local cluster needs root (an address, a bridge, iptables rules, cgroups, sysctls): run sudo ./demo.sh, or ./demo.sh --kubeconfig PATH on a cluster you have"

  confirm "This demo runs Sluice on a real single-node Kubernetes cluster on this machine (e2e/cluster/node.sh).
It will:${what_builds}
  * start containerd, etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a kubelet and
    kube-proxy as root; add address 10.211.0.1 on lo, bridge sluicebr0 (pods 10.244.0.0/24), iptables
    chains (SLUICE-NODE-GUARD, KUBE-*), cgroups; and change sysctls: the kubelet sets kernel.panic,
    kernel.panic_on_oops and vm.overcommit_memory, the node turns on IP forwarding;
  * helm install the operator (replicas: $operator_replicas), run a sample app with the sidecar, send it traffic for ${seconds:-as long as you like (Ctrl-C)}${seconds:+ s};
  * then remove what it made and take the node down (node.sh down), which restores every one of
    those changes; also on Ctrl-C or on a failure."
  t0=$EPOCHREALTIME   # the clock starts once the question is answered

  local building=
  if (( ${#missing[@]} )); then building=1; phase "build: Kubernetes binaries, helm, node images (e2e/cluster/build.sh)" bash e2e/cluster/build.sh; fi
  if images_stale; then building=1; phase "build: operator and sidecar images (mvn package)" build_images; fi
  [[ -z "$building" ]] || built=$(since "$t0")

  node_started=1
  # The images are imported while the control plane starts, as soon as the node's containerd serves.
  : > "$work/up.log"
  import_images &
  local importer=$!
  pids+=("$importer")
  phase "cluster up (node.sh up; the images imported alongside)" \
    bash -c 'set -o pipefail; bash "$0" up --owner "$1" 2>&1 | tee "$2"' "$node_sh" $$ "$work/up.log" 3>&- 4>&-
  wait "$importer" || { cat "$work/import.log"; die "could not import the operator and sidecar images into the node"; }
  cat "$work/import.log"
  kubeconfig=$(bash "$node_sh" kubeconfig)
  kubectl_bin=$bin/kubectl
  helm_bin=$bin/helm
  operator_image=$(tar_reference "$operator_tar")
  sidecar_image=$(tar_reference "$sidecar_tar")
  app_image=localhost/busybox:1.35
  helm_images=(--set "image.tag=${operator_image##*:}")
  # The host reaches the pod network on the bridge: its requests (to the Service, masqueraded by
  # kube-proxy, or to the pod) come from the bridge's address, a proxy whose X-Forwarded-For the sidecar believes.
  trusted_proxy=10.244.0.1/32
  on_cluster direct
}

import_images() { # once node.sh up has started containerd (not before: it first cleans up what a killed run left)
  for _ in $(seq 1 1200); do
    if grep -q 'containerd serves' "$work/up.log"; then
      bash "$node_sh" import "$operator_tar" "$sidecar_tar" > "$work/import.log" 2>&1
      return
    fi
    sleep 0.1
  done
  echo "node.sh up did not start containerd within 120 s" > "$work/import.log"
  return 1
}

kubeconfig_demo() {
  [[ -r "$kubeconfig" ]] || die "--kubeconfig $kubeconfig: no such readable file"
  kubeconfig=$(realpath "$kubeconfig")
  kubectl_bin=$(type -P kubectl || echo "$bin/kubectl")
  helm_bin=$(type -P helm || echo "$bin/helm")
  [[ -x "$kubectl_bin" ]] || die "no kubectl on PATH nor in $bin: install kubectl, or build it with bash e2e/cluster/build.sh"
  [[ -x "$helm_bin" ]] || die "no helm on PATH nor in $bin: install helm 3, or build it with bash e2e/cluster/build.sh"
  local context
  context=$("$kubectl_bin" --kubeconfig "$kubeconfig" config current-context 2>/dev/null) || die "--kubeconfig $kubeconfig: no current context"
  "$kubectl_bin" --kubeconfig "$kubeconfig" get --raw /readyz > /dev/null 2>&1 || die "the cluster of $kubeconfig (context $context) does not answer"
  local tag=${image_tag:-$version}
  [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$ ]] || die "--image-tag '$tag': not an image tag ([A-Za-z0-9_][A-Za-z0-9._-]*)"
  if [[ -n "$image_registry" ]]; then
    [[ $image_registry =~ ^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$ ]] || die "--image-registry '$image_registry': not a registry (host[:port][/path])"
    operator_image=$image_registry/sluice-operator:$tag
    sidecar_image=$image_registry/sluice-sidecar:$tag
    helm_images=(--set "image.registry=$image_registry" --set "image.tag=$tag")
  else
    operator_image=localhost/sluice-operator:$tag
    sidecar_image=localhost/sluice-sidecar:$tag
    helm_images=(--set "image.tag=$tag")
    # No registry: the images must be on the nodes already (the kubelet never pulls localhost/ names
    # with a tag: IfNotPresent). The nodes report the images they hold.
    local held
    held=$("$kubectl_bin" --kubeconfig "$kubeconfig" get nodes -o jsonpath='{.items[*].status.images[*].names}' 2>/dev/null || true)
    if ! grep -qF "$operator_image" <<< "$held" || ! grep -qF "$sidecar_image" <<< "$held"; then
      if images_stale; then phase "build: operator and sidecar images (mvn package)" build_images; fi
      cat >&2 <<TXT
demo: the nodes of context $context do not hold $operator_image and $sidecar_image.
Load the image tars the build wrote, as your cluster documents, then run the demo again:
  kind:      kind load image-archive $operator_tar && kind load image-archive $sidecar_tar
  minikube:  minikube image load $operator_tar && minikube image load $sidecar_tar
or push them to a registry the cluster pulls from (e.g. skopeo copy oci-archive:$operator_tar docker://REGISTRY/sluice-operator:$tag,
and the same for sluice-sidecar) and pass --image-registry REGISTRY [--image-tag $tag].
TXT
      exit 1
    fi
  fi
  app_image=${DEMO_APP_IMAGE:-busybox:1.36}
  operator_replicas=${DEMO_OPERATOR_REPLICAS:-2}
  # Requests arrive through kubectl port-forward, from the pod's loopback.
  trusted_proxy=127.0.0.1/32
  local k=("$kubectl_bin" --kubeconfig "$kubeconfig")
  if "${k[@]}" get namespace "$ns" > /dev/null 2>&1; then die "namespace $ns already exists on context $context: the demo makes and deletes its own; delete it first"; fi
  if "$helm_bin" --kubeconfig "$kubeconfig" status "$release" -n "$release_ns" > /dev/null 2>&1; then
    die "helm release $release already exists in namespace $release_ns on context $context: the demo installs and uninstalls its own"
  fi

  confirm "This demo runs Sluice on the cluster of $kubeconfig (context $context). Nothing of this machine's node is touched.
It will:
  * kubectl apply -f crds/ (the CRDs it creates are deleted at the end, the ones there before are kept);
  * helm install $release charts/sluice -n $release_ns --create-namespace with $operator_image (replicas: $operator_replicas);
  * create namespace $ns with a sample app ($app_image) and the sidecar ($sidecar_image), a Service and
    the examples; send it traffic through kubectl port-forward (127.0.0.1:$port, admin 127.0.0.1:$admin)
    for ${seconds:-as long as you like (Ctrl-C)}${seconds:+ s};
  * then helm uninstall, and delete the namespaces $ns and $release_ns; also on Ctrl-C or on a failure."
  t0=$EPOCHREALTIME
  on_cluster port-forward
}

kubectl() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }
helm() { "$helm_bin" --kubeconfig "$kubeconfig" "$@"; }

apply_crds() {
  local crd
  for crd in ratelimitpolicies circuitbreakers jobquotas; do
    # only the CRDs it creates go at the end: deleting one deletes every resource of its kind
    if ! kubectl get crd "$crd.sluice.dev" > /dev/null 2>&1; then
      teardown+=("kubectl delete crd $crd.sluice.dev --timeout=60s")
    fi
  done
  kubectl apply -f crds/
  # kubectl wait fails at once (instead of waiting) on a CRD read before its status has conditions
  local tries=0
  until kubectl wait --for=condition=Established --timeout=60s crd/ratelimitpolicies.sluice.dev crd/circuitbreakers.sluice.dev \
      crd/jobquotas.sluice.dev > /dev/null 2> "$work/crd-wait.log"; do
    tries=$((tries + 1))
    [[ $tries -lt 10 ]] || { cat "$work/crd-wait.log"; die "the CRDs did not become Established"; }
    sleep 0.5
  done
}

install_operator() {
  helm install "$release" charts/sluice -n "$release_ns" --create-namespace --wait --timeout 5m \
    "${helm_images[@]}" --set "replicaCount=$operator_replicas" --set "trustedProxies={$trusted_proxy}"
}

# helm install --wait, and alongside it the sample app: its namespace and the examples at once (the
# operator reconciles them when it starts), its pod once the operator has rendered the ConfigMap the
# pod mounts (before that the kubelet would back off retrying the mount).
operator_and_app() {
  local began=$EPOCHREALTIME helm_pid
  teardown+=("kubectl delete namespace $release_ns --timeout=60s" "helm uninstall $release -n $release_ns --wait --timeout 60s")
  install_operator > "$work/helm.log" 2>&1 &
  helm_pid=$!
  pids+=("$helm_pid")
  teardown+=("kubectl delete namespace $ns --timeout=60s")
  # required: pods of the namespace cannot opt out, and one created while the operator cannot answer is
  # refused (and retried by its ReplicaSet) rather than started without the sidecar
  kubectl create namespace "$ns" > /dev/null
  kubectl label namespace "$ns" sluice.dev/inject=required > /dev/null
  kubectl apply -n "$ns" -f examples/ratelimitpolicy.yaml -f examples/circuitbreaker.yaml
  local installed=
  until kubectl get configmap -n "$ns" sluice-config > /dev/null 2>&1; do
    if [[ -z "$installed" ]] && ! kill -0 "$helm_pid" 2> /dev/null; then
      wait "$helm_pid" || { cat "$work/helm.log"; die "helm install failed"; }
      installed=1
      # installed and Ready: the operator renders the ConfigMap in its first reconciliation
      kubectl wait -n "$ns" --for=condition=Ready --timeout=60s rlp/shop-api > /dev/null ||
        { kubectl get rlp -n "$ns" -o wide; die "the operator did not render rlp/shop-api within 60 s of being Ready"; }
    fi
    sleep 0.2
  done
  start_app
  if [[ -z "$installed" ]]; then wait "$helm_pid" || { cat "$work/helm.log"; die "helm install failed"; }; fi
  cat "$work/helm.log"
  parts+=("$(printf '%7ss  %s' "$(since "$began")" "  operator Ready: helm install --wait returned")")
  kubectl rollout status -n "$ns" deployment/shop --timeout=180s > /dev/null || {
    kubectl get pods -n "$ns" -o wide
    kubectl get events -n "$ns" --sort-by=.lastTimestamp | tail -n 10
    die "the sample app (deployment/shop) did not become Ready within 180 s"
  }
  parts+=("$(printf '%7ss  %s' "$(since "$began")" "  sample app with the sidecar Ready (namespace $ns)")")
}

# The sample app: busybox httpd (the demo's examples/SampleUpstream.java needs a JDK, which no image
# here has: the sidecar image's JRE is jlinked without the compiler), answering the paths the clients
# use on the port PORT names. Its namespace is labelled sluice.dev/inject=required, so the operator's
# webhook injects the sidecar, which takes over the port named http (8080) and moves the app to another
# port it passes in PORT (docs/injection.md); the Service is not edited. Non-root, read-only root
# filesystems, as the restricted Pod Security profile wants.
start_app() {
  kubectl apply -n "$ns" -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, labels: {app: shop}}
spec:
  replicas: 1
  selector: {matchLabels: {app: shop}}
  template:
    metadata:
      labels: {app: shop}
      annotations: {sluice.dev/port-env: PORT}
    spec:
      terminationGracePeriodSeconds: 10
      securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: app
        image: $app_image
        command: ["sh", "-c", "mkdir -p /tmp/www/api && for p in orders search hello; do echo \"sample app: GET /api/\$p\" > /tmp/www/api/\$p; done && echo 'sample app' > /tmp/www/index.html && exec httpd -f -p \"\$PORT\" -h /tmp/www"]
        ports: [{name: http, containerPort: 8080}]
        resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        volumeMounts: [{name: app-tmp, mountPath: /tmp}]
      volumes:
      - {name: app-tmp, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata: {name: shop, labels: {app: shop}}
spec:
  selector: {app: shop}
  ports: [{name: http, port: 80, targetPort: http}]
YAML
}

reach_app() { # direct | port-forward: where the clients' requests and the admin reads go
  if [[ $1 == direct ]]; then
    local pod_ip
    traffic_url=http://$(kubectl get service -n "$ns" shop -o 'jsonpath={.spec.clusterIP}')
    pod_ip=$(kubectl get pods -n "$ns" -l app=shop --field-selector=status.phase=Running -o 'jsonpath={.items[0].status.podIP}')
    admin_url=http://$pod_ip:$sidecar_admin_port
  else
    # to the pod's port 8080 by number: the injected sidecar listens there, and kubectl looks a
    # Service's named targetPort up in the app containers only, where the app's port now has another name
    kubectl port-forward -n "$ns" deployment/shop "$port:8080" > "$work/port-forward.log" 2>&1 &
    pids+=($!)
    kubectl port-forward -n "$ns" deployment/shop "$admin:$sidecar_admin_port" > "$work/port-forward-admin.log" 2>&1 &
    pids+=($!)
    traffic_url=http://127.0.0.1:$port
    admin_url=http://127.0.0.1:$admin
  fi
  # a path no rule limits: kube-proxy (or the port-forward) needs a moment for a new Service
  wait_ready "the Service shop" "$traffic_url/" 60
  wait_ready "the sidecar's admin port" "$admin_url/readyz" 30
}

on_cluster() { # direct | port-forward
  phase "CRDs (kubectl apply -f crds/)" apply_crds
  phase "operator and sample app (helm install $release charts/sluice --wait; the app alongside)" operator_and_app
  phase "Service answering from the host" reach_app "$1"
  live_view
}

live_view() {
  if [[ -z "$seconds" && ! -t 1 ]]; then seconds=30; fi
  local edit_at=$(( ${seconds:-30} / 2 )) edited= loaded generation view_began
  local setup
  setup=$(since "$t0")
  cat <<TXT

Sluice on $(kubectl config current-context) ($kubeconfig), set up in ${setup}s:
  look around:  $kubectl_bin --kubeconfig $kubeconfig get sluice,pods -A
  sidecar:      curl -i $traffic_url/api/hello      curl $admin_url/config
Simulated clients each second, through the Service shop to the sidecar of its pod (app=shop):
  alice   12 requests to /api/orders, plan free     (key A)
  bob     12 requests to /api/orders, plan premium  (key B)
  carol    8 requests to /api/search
After ${edit_at}s the demo raises the free tier from 5/s to 8/s with kubectl patch; watch the generation change.
TXT
  [[ -t 1 ]] && sleep 3
  view_began=$SECONDS
  while [[ -z "$seconds" ]] || (( SECONDS - view_began < seconds )); do
    traffic
    if [[ -z "$edited" ]] && (( SECONDS - view_began >= edit_at )); then
      kubectl patch rlp shop-api -n "$ns" --type=json \
        -p '[{"op":"replace","path":"/spec/rules/2/tiers/values/0/limits/0/requests","value":8}]' > "$work/edit.log" 2>&1
      edited="after ${edit_at}s: kubectl patch rlp shop-api (free tier 5/s -> 8/s)"
    fi
    loaded=$(curl -s -m 5 "$admin_url/config" | grep -o '"generation" *: *[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
    generation=$(kubectl get configmap -n "$ns" sluice-config -o 'jsonpath={.metadata.annotations.sluice\.dev/generation}' 2>/dev/null || true)
    {
      [[ -t 1 ]] && printf '\033[H\033[2J'
      printf '\n--- after %ss --- sidecar runs config generation %s (ConfigMap sluice-config: %s) %s\n' "$(( SECONDS - view_began ))" \
        "${loaded:-?}" "${generation:-?}" "${edited:+| $edited}"
      printf 'first 429 %s\n' "${first_429:+${first_429}s after the start}"
      clients_table
      rules_table global per-client plans daily-quota
      echo
      kubectl get sluice -n "$ns" -o wide
      echo
      kubectl get rlp,cb -n "$ns" -o 'jsonpath={range .items[*]}{.kind}/{.metadata.name}: {range .status.conditions[*]}{.type}={.status} ({.reason}) {end}{"\n"}{end}'
    }
    sleep 1
  done
  echo
  if [[ -n "$first_429" ]]; then
    local warm
    warm=$(awk -v a="$first_429" -v b="$built" 'BEGIN { printf "%.1f", a - b }')
    echo "time to the first rate-limited (429) response: ${first_429}s from the start (set-up ${setup}s, then traffic)$(
      [[ $built == 0.0 ]] || echo "; ${warm}s without the ${built}s of builds")"
    phases+=("$(printf '%7ss  %s' "$first_429" "=> first 429, from the start")")
    [[ $built == 0.0 ]] || phases+=("$(printf '%7ss  %s' "$warm" "=> first 429, from the start, without the builds")")
  else
    echo "no request was rate-limited (429)"
  fi
}

yes=${DEMO_YES:-} kubeconfig= image_registry=${SLUICE_IMAGE_REGISTRY:-} image_tag=${SLUICE_IMAGE_TAG:-} mode=local
usage() { echo "usage: ./demo.sh [--yes] [--kubeconfig PATH [--image-registry REGISTRY] [--image-tag TAG]] | --standalone" >&2; exit 64; }
while (( $# )); do
  case "$1" in
    --standalone) mode=standalone; shift ;;
    --yes | -y) yes=1; shift ;;
    --kubeconfig) [[ $# -ge 2 && -n "$2" ]] || { echo "demo: --kubeconfig needs a PATH" >&2; usage; }; kubeconfig=$2; mode=kubeconfig; shift 2 ;;
    --kubeconfig=*) kubeconfig=${1#*=}; mode=kubeconfig; shift ;;
    --image-registry) [[ $# -ge 2 && -n "$2" ]] || { echo "demo: --image-registry needs a REGISTRY" >&2; usage; }; image_registry=$2; shift 2 ;;
    --image-registry=*) image_registry=${1#*=}; shift ;;
    --image-tag) [[ $# -ge 2 && -n "$2" ]] || { echo "demo: --image-tag needs a TAG" >&2; usage; }; image_tag=$2; shift 2 ;;
    --image-tag=*) image_tag=${1#*=}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument '$1'" >&2; usage ;;
  esac
done
if [[ -n "$seconds" && ! $seconds =~ ^[1-9][0-9]*$ ]]; then echo "demo: DEMO_SECONDS='$seconds': a whole number of seconds (1 or more)" >&2; exit 64; fi
if [[ -n "${DEMO_OPERATOR_REPLICAS:-}" && ! $DEMO_OPERATOR_REPLICAS =~ ^[1-9][0-9]?$ ]]; then echo "demo: DEMO_OPERATOR_REPLICAS='$DEMO_OPERATOR_REPLICAS': a number of replicas (1-99)" >&2; exit 64; fi
if [[ $mode != kubeconfig && ( -n "$image_registry" || -n "$image_tag" ) ]]; then
  echo "demo: --image-registry and --image-tag go with --kubeconfig (the local node imports the images the build wrote)" >&2; exit 64
fi
case "$mode" in
  standalone) standalone_demo ;;
  local) [[ -n "$seconds" || -t 1 ]] || seconds=30; local_demo ;;
  kubeconfig) [[ -n "$seconds" || -t 1 ]] || seconds=30; kubeconfig_demo ;;
esac

#!/usr/bin/env bash
# The local demo. Ctrl-C stops everything it started.
#
#   ./demo.sh               the product on a local Kubernetes API server: kube-apiserver + etcd (built by
#                           e2e/cluster/build.sh --api-server-only when missing), the CRDs and examples/ applied
#                           with kubectl, the operator rendering them, a sidecar in front of the sample app,
#                           simulated clients, and a live view of requests and of the resources' status
#   ./demo.sh --standalone  the sidecar alone with examples/sidecar.yaml, no Kubernetes
#
#   DEMO_SECONDS=N   stop after N seconds (default: until Ctrl-C; 30 when not on a terminal)
#   DEMO_PORT, DEMO_ADMIN_PORT, DEMO_UPSTREAM_PORT, DEMO_OPERATOR_PORT   ports on 127.0.0.1 (8080, 9090, 8081, 8082)
set -euo pipefail
cd "$(dirname "$0")"

port=${DEMO_PORT:-8080}
admin=${DEMO_ADMIN_PORT:-9090}
upstream=${DEMO_UPSTREAM_PORT:-8081}
operator_port=${DEMO_OPERATOR_PORT:-8082}
seconds=${DEMO_SECONDS:-}
work=$(mktemp -d)
pids=()

cleanup() {
  if (( ${#pids[@]} )) || [[ -n "${apiserver_pid:-}" ]]; then echo "stopping everything the demo started..."; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "${apiserver_pid:-}" ]]; then   # its JVM stops kube-apiserver and etcd on the way out
    kill "$apiserver_pid" 2>/dev/null || true
    wait "$apiserver_pid" 2>/dev/null || true
    kill -KILL -- "-$apiserver_pid" 2>/dev/null || true   # anything of its process group still there
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Counters of the simulated clients, and the sidecar's per-rule metrics.
declare -A sent ok limited
send() { # name count path headers...
  local name=$1 count=$2 path=$3; shift 3
  local args=() code
  for h in "$@"; do args+=(-H "$h"); done
  for _ in $(seq 1 "$count"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" "http://127.0.0.1:$port$path" || echo 000)
    sent[$name]=$(( ${sent[$name]:-0} + 1 ))
    if [[ $code == 200 ]]; then ok[$name]=$(( ${ok[$name]:-0} + 1 )); fi
    if [[ $code == 429 ]]; then limited[$name]=$(( ${limited[$name]:-0} + 1 )); fi
  done
}
metric() { curl -s "http://127.0.0.1:$admin/metrics" | awk -v m="$1" -v r="rule=\"$2\"" 'index($0, m"{")==1 && index($0, r) {s+=$NF} END {printf "%d", s}'; }
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
    if curl -sf "$2" > /dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$1 did not become ready ($2)"; return 1
}

standalone_demo() {
  if [[ -z "$seconds" && ! -t 1 ]]; then seconds=20; fi
  jar=sidecar/target/sluice-sidecar.jar
  if [[ ! -f "$jar" ]] || [[ -n "$(find api/src sidecar/src -newer "$jar" -type f -print -quit)" ]]; then
    echo "building the sidecar (mvn package)..."
    mvn -B -q -DskipTests -pl api,sidecar -am package
  fi

  java examples/SampleUpstream.java "$upstream" > "$work/upstream.log" 2>&1 &
  pids+=($!)
  java -jar "$jar" --config examples/sidecar.yaml --upstream "http://127.0.0.1:$upstream" \
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

kubernetes_demo() {
  if [[ -z "$seconds" && ! -t 1 ]]; then seconds=30; fi
  local bin=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.13-linux-amd64
  local kubeconfig=$work/kubeconfig ns=shop
  kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

  # 1. What it runs: the kube binaries, the sidecar and operator jars, the e2e module's LocalApiServer.
  if [[ ! -x "$bin/kube-apiserver" || ! -x "$bin/etcd" || ! -x "$bin/kubectl" ]]; then
    echo "building kube-apiserver and etcd from Go modules (first run only: ~4-6 min, ~3 GB of Go caches)..."
    bash e2e/cluster/build.sh --api-server-only
  fi
  local outputs=(sidecar/target/sluice-sidecar.jar operator/target/sluice-operator.jar e2e/target/runtime-classpath.txt)
  local stale=
  for f in "${outputs[@]}"; do
    if [[ ! -f "$f" ]] || [[ -n "$(find api/src sidecar/src operator/src e2e/src -newer "$f" -type f -print -quit)" ]]; then stale=1; fi
  done
  if [[ -n "$stale" ]]; then
    echo "building the sidecar, the operator and the local API server launcher (mvn package)..."
    mvn -B -q -DskipTests -pl e2e -am package
  fi

  # 2. A local Kubernetes API server (kube-apiserver + etcd on 127.0.0.1), in a process group of its own.
  echo "starting kube-apiserver and etcd..."
  setsid java -cp "e2e/target/classes:$(cat e2e/target/runtime-classpath.txt)" dev.sluice.e2e.LocalApiServer "$kubeconfig" \
    > "$work/apiserver.log" 2>&1 &
  apiserver_pid=$!
  for _ in $(seq 1 300); do
    if grep -q '^ready' "$work/apiserver.log" 2>/dev/null || ! kill -0 "$apiserver_pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  grep -q '^ready' "$work/apiserver.log" || { echo "the API server did not start:"; tail -n 20 "$work/apiserver.log"; exit 1; }

  # 3. The CRDs, a namespace with three Pod objects (no kubelet runs them), the example resources.
  kubectl apply -f crds/
  kubectl wait --for=condition=Established --timeout=60s crd/ratelimitpolicies.sluice.dev crd/circuitbreakers.sluice.dev > /dev/null
  kubectl create namespace "$ns" > /dev/null
  for pod in shop-0:shop shop-1:shop billing-0:billing; do
    kubectl run -n "$ns" "${pod%%:*}" --image=registry.example/app:1 --labels="app=${pod#*:}" > /dev/null
  done
  kubectl apply -n "$ns" -f examples/ratelimitpolicy.yaml -f examples/circuitbreaker.yaml

  # 4. The operator, as a user runs it outside a cluster (X-Forwarded-For believed from the loopback proxy).
  KUBECONFIG=$kubeconfig java -jar operator/target/sluice-operator.jar --namespaces="$ns" --http-port="$operator_port" \
    --leader-election=false --trusted-proxies=127.0.0.1/32 > "$work/operator.log" 2>&1 &
  pids+=($!)
  kubectl wait -n "$ns" --for=condition=Ready --timeout=90s rlp/shop-api || { tail -n 20 "$work/operator.log"; exit 1; }

  # 5. The kubelet's part: the ConfigMap's content in the sidecar's config file, refreshed as it changes.
  mkdir -p "$work/config"
  printf 'app="shop"\npod-template-hash="demo"\n' > "$work/labels"
  sync_config() {
    kubectl get configmap -n "$ns" sluice-config -o 'jsonpath={.data.sidecar\.yaml}' > "$work/config/.next" 2>/dev/null \
      && [[ -s "$work/config/.next" ]] && ! cmp -s "$work/config/.next" "$work/config/sidecar.yaml" \
      && mv "$work/config/.next" "$work/config/sidecar.yaml" || true
  }
  sync_config
  ( while true; do sleep 2; sync_config; done ) &
  pids+=($!)

  # 6. The sample app and the sidecar in front of it, as in a pod whose labels are app=shop.
  java examples/SampleUpstream.java "$upstream" > "$work/upstream.log" 2>&1 &
  pids+=($!)
  java -jar sidecar/target/sluice-sidecar.jar --config "$work/config/sidecar.yaml" --pod-labels "$work/labels" \
    --upstream "http://127.0.0.1:$upstream" --bind 127.0.0.1 --port "$port" --admin-port "$admin" > "$work/sidecar.log" 2>&1 &
  pids+=($!)
  wait_ready "the sample app" "http://127.0.0.1:$upstream/" 30
  wait_ready "the sidecar" "http://127.0.0.1:$admin/readyz" 30 || { tail -n 20 "$work/sidecar.log"; exit 1; }

  local edit_at=$(( ${seconds:-30} / 2 )) edited=
  cat <<TXT

Sluice on a local Kubernetes API server (kube-apiserver $(basename "$bin" | cut -d- -f1) + etcd on 127.0.0.1):
  kubectl:  $bin/kubectl --kubeconfig $kubeconfig get sluice -n $ns
  sidecar:  curl -i http://127.0.0.1:$port/api/hello      curl http://127.0.0.1:$admin/config
Simulated clients each second, through the sidecar of pod app=shop:
  alice   12 requests to /api/orders, plan free     (key A)
  bob     12 requests to /api/orders, plan premium  (key B)
  carol    8 requests to /api/search
After ${edit_at}s the demo raises the free tier from 5/s to 8/s with kubectl; watch the generation change.
TXT
  [[ -t 1 ]] && sleep 3
  start=$SECONDS
  while [[ -z "$seconds" ]] || (( SECONDS - start < seconds )); do
    traffic
    if [[ -z "$edited" ]] && (( SECONDS - start >= edit_at )); then
      kubectl patch rlp shop-api -n "$ns" --type=json \
        -p '[{"op":"replace","path":"/spec/rules/2/tiers/values/0/limits/0/requests","value":8}]' > "$work/edit.log" 2>&1
      edited="after ${edit_at}s: kubectl patch rlp shop-api (free tier 5/s -> 8/s)"
    fi
    local loaded
    loaded=$(curl -s "http://127.0.0.1:$admin/config" | grep -o '"generation" *: *[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
    {
      [[ -t 1 ]] && printf '\033[H\033[2J'
      printf '\n--- after %ss --- sidecar runs config generation %s (ConfigMap sluice-config: %s) %s\n' "$(( SECONDS - start ))" \
        "${loaded:-?}" "$(kubectl get configmap -n "$ns" sluice-config -o 'jsonpath={.metadata.annotations.sluice\.dev/generation}' 2>/dev/null)" \
        "${edited:+| $edited}"
      clients_table
      rules_table global per-client plans daily-quota
      echo
      kubectl get sluice -n "$ns" -o wide
      echo
      kubectl get rlp,cb -n "$ns" -o 'jsonpath={range .items[*]}{.kind}/{.metadata.name}: {range .status.conditions[*]}{.type}={.status} ({.reason}) {end}{"\n"}{end}'
    }
    sleep 1
  done
}

case "${1:-}" in
  --standalone) standalone_demo ;;
  "") kubernetes_demo ;;
  *) echo "usage: ./demo.sh [--standalone]" >&2; exit 64 ;;
esac

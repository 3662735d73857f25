#!/usr/bin/env bash
# The local demo: a sample app, the Sluice sidecar in front of it with examples/sidecar.yaml,
# simulated clients, and a live view of what is allowed and rejected. Ctrl-C stops everything.
#   DEMO_SECONDS=N   stop after N seconds (default: until Ctrl-C; 20 when not on a terminal)
#   DEMO_PORT, DEMO_ADMIN_PORT, DEMO_UPSTREAM_PORT   ports on 127.0.0.1 (8080, 9090, 8081)
set -euo pipefail
cd "$(dirname "$0")"

port=${DEMO_PORT:-8080}
admin=${DEMO_ADMIN_PORT:-9090}
upstream=${DEMO_UPSTREAM_PORT:-8081}
seconds=${DEMO_SECONDS:-}
if [[ -z "$seconds" && ! -t 1 ]]; then seconds=20; fi
work=$(mktemp -d)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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

for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$admin/readyz" > /dev/null && curl -sf "http://127.0.0.1:$upstream/" > /dev/null; then break; fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$admin/readyz" > /dev/null || { echo "the sidecar did not become ready:"; cat "$work/sidecar.log"; exit 1; }

cat <<TXT
Sluice sidecar on http://127.0.0.1:$port in front of the sample app on :$upstream; admin on http://127.0.0.1:$admin
Try it yourself:  curl -i http://127.0.0.1:$port/api/hello      curl http://127.0.0.1:$admin/config
Simulated clients each second (X-Forwarded-For from the trusted loopback proxy):
  alice   12 requests to /api/orders, plan free     (key A)
  bob     12 requests to /api/orders, plan premium  (key B)
  carol    8 requests to /api/search
TXT

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

start=$SECONDS
while [[ -z "$seconds" ]] || (( SECONDS - start < seconds )); do
  send alice 12 /api/orders "X-Forwarded-For: 203.0.113.10" "X-Api-Key: A" "X-Plan: free"
  send bob 12 /api/orders "X-Forwarded-For: 203.0.113.20" "X-Api-Key: B" "X-Plan: premium"
  send carol 8 /api/search "X-Forwarded-For: 203.0.113.30"
  printf '\n--- after %ss ---\n%-8s %6s %6s %6s\n' "$(( SECONDS - start ))" client sent 200 429
  for name in alice bob carol; do
    printf '%-8s %6d %6d %6d\n' "$name" "${sent[$name]:-0}" "${ok[$name]:-0}" "${limited[$name]:-0}"
  done
  printf '%-22s %9s %9s %16s\n' rule evaluated rejected shadow-rejected
  for rule in global per-client search plans daily-quota stricter-per-client; do
    printf '%-22s %9s %9s %16s\n' "$rule" "$(metric rate_limit_requests_total "$rule")" \
      "$(metric rate_limit_rejected_total "$rule")" "$(metric rate_limit_shadow_rejected_total "$rule")"
  done
  sleep 1
done
echo; echo "stopping (sidecar log: last lines)"; tail -n 5 "$work/sidecar.log"

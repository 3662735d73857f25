#!/usr/bin/env bash
# Checks what the Java e2e suite cannot check from inside its own JVM: a run whose owner dies by
# SIGKILL with a pod running (as when a test JVM is killed) is cleaned up by the next `up`, and the
# final `down` leaves the machine as it was. Compares `node.sh snapshot` from before the first `up`
# with the one after the last `down`.
#
#   e2e/cluster/selftest.sh
#
# Everything else that runs on the cluster is in the e2e suite (`mvn verify`, README "End-to-end tests"): pods,
# Services, DNS and Jobs (NodeE2E), the operator and sidecar images (OperatorE2E, JobQuotaE2E, ...),
# and the snapshots compared after a normal run (TeardownE2E).
# Prints how long each step took; fails on the first check that does not hold.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE="${HERE}/node.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sluice-selftest.XXXXXX")"
owner_pid=""
cleanup() {
  local status=$?
  if [ -n "${owner_pid}" ]; then kill "${owner_pid}" 2>/dev/null || true; fi
  if [ ${status} -ne 0 ]; then
    bash "${NODE}" diagnose "${WORK}/diagnostics" || true
    echo "selftest FAILED; diagnostics in ${WORK}/diagnostics" >&2
    bash "${NODE}" down || true
  fi
}
trap cleanup EXIT

ms() { date +%s%3N; }
say() { printf '[selftest] %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
K8S_VERSION="${K8S_VERSION:-1.33.13}"
kubectl() { "${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-linux-amd64/kubectl" --kubeconfig "$(bash "${NODE}" kubeconfig)" "$@"; }

# A run whose owner dies by SIGKILL with a pod running; the next up must clean it up first. The
# machine before is snapshotted by that up, under the node's lock (waiting for a run another
# checkout holds), once whatever an earlier run left is cleaned.
sleep 3600 & owner_pid=$!
t=$(ms)
bash "${NODE}" up --owner "${owner_pid}" --wait 1200 --snapshot "${WORK}/before"
say "up in $(( $(ms) - t )) ms"
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: orphan}
spec:
  terminationGracePeriodSeconds: 30
  containers: [{name: main, image: localhost/busybox:1.35, command: ["sleep", "3600"]}]
EOF
kubectl wait --for=condition=Ready pod/orphan --timeout=120s >/dev/null || fail "pod orphan not Ready"
kill -KILL "${owner_pid}"; wait "${owner_pid}" 2>/dev/null || true; owner_pid=""
bash "${NODE}" status >/dev/null && fail "status says the cluster is held, but its owner is dead"
sleep 3600 & owner_pid=$!
t=$(ms)
bash "${NODE}" up --owner "${owner_pid}"
say "up over a killed run's leftovers in $(( $(ms) - t )) ms"
[ -z "$(kubectl get pods -o name)" ] || fail "pods of the killed run survived the next up"
t=$(ms)
bash "${NODE}" down --owner "${owner_pid}"
say "down in $(( $(ms) - t )) ms"
kill "${owner_pid}"; owner_pid=""
bash "${NODE}" snapshot > "${WORK}/after"
if ! diff -u "${WORK}/before" "${WORK}/after" > "${WORK}/diff"; then
  cat "${WORK}/diff" >&2
  fail "the machine differs after a run killed with SIGKILL, the next up and down (above: - before, + after)"
fi
say "nothing left after a run killed with SIGKILL, the next up and down"
rm -rf "${WORK}"
say "OK"

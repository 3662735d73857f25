#!/usr/bin/env bash
# Checks the e2e cluster itself, outside Maven: brings it up, runs real workloads on it, takes it
# down and compares snapshots of the machine taken before and after; then does it again with an
# owner killed by SIGKILL mid-run, as when a test JVM dies, and checks that the next `up` cleans
# up and the final `down` still leaves nothing behind.
#
#   e2e/cluster/selftest.sh [--keep]     --keep: leave the cluster up after the workloads
#
# Workloads: an HTTP pod with a readiness probe, reached at its pod IP and through a ClusterIP
# Service from this machine and, by the Service's DNS name, from a Job's container run to completion;
# as a non-root user on a read-only root filesystem; and, given SIDECAR_IMAGE (the tar
# the Maven build writes, sidecar/target/sluice-sidecar-image.tar), the sidecar from its image in
# front of an app in one pod behind a ClusterIP Service, answering 429 past its limit; and, given
# OPERATOR_IMAGE (operator/target/sluice-operator-image.tar), the operator in a pod installed from
# deploy/operator.yaml, reconciling examples/, and its JobQuota holding 2 x 20 real Jobs to 5 at
# once, the second time with the operator pod force-deleted mid-run.
# Prints how long each took; fails on the first check that does not hold.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE="${HERE}/node.sh"
ROOT="$(cd "${HERE}/../.." && pwd)"
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sluice-selftest.XXXXXX")"
owner_pid=""
cleanup() {
  local status=$?
  if [ -n "${owner_pid}" ]; then kill "${owner_pid}" 2>/dev/null || true; fi
  if [ ${status} -ne 0 ]; then
    bash "${NODE}" diagnose "${WORK}/diagnostics" || true
    echo "selftest FAILED; diagnostics in ${WORK}/diagnostics" >&2
  fi
  if [ ${status} -ne 0 ] || [ "${KEEP}" = 0 ]; then bash "${NODE}" down || true; fi
}
trap cleanup EXIT

ms() { date +%s%3N; }
say() { printf '[selftest] %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
K8S_VERSION="${K8S_VERSION:-1.33.13}"
kubectl() { "${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-linux-amd64/kubectl" --kubeconfig "$(bash "${NODE}" kubeconfig)" "$@"; }

workloads() {
  local t ip svc reply
  kubectl create namespace selftest >/dev/null
  t=$(ms)
  kubectl apply -n selftest -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: localhost/busybox:1.35
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: [{containerPort: 8080}]
    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
EOF
  kubectl wait -n selftest --for=condition=Ready pod/web --timeout=120s >/dev/null || fail "pod web not Ready"
  say "pod web Ready $(( $(ms) - t )) ms after apply"
  ip="$(kubectl get -n selftest pod web -o jsonpath='{.status.podIP}')"
  reply="$(curl -sf --max-time 5 "http://${ip}:8080/")" || fail "no answer from the pod at ${ip}:8080"
  [ "${reply}" = "hello from a pod" ] || fail "pod answered '${reply}'"
  svc="$(kubectl get -n selftest svc web -o jsonpath='{.spec.clusterIP}')"
  # kube-proxy programs a Service within about a second of its endpoint becoming ready
  for _ in $(seq 50); do reply="$(curl -sf --max-time 2 "http://${svc}/")" && break; sleep 0.2; done
  [ "${reply}" = "hello from a pod" ] || fail "no answer through the ClusterIP ${svc}"
  say "host -> pod ${ip} and -> ClusterIP ${svc}: ok"

  t=$(ms)
  kubectl apply -n selftest -f - >/dev/null <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: client}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534}
      containers:
      - name: main
        image: localhost/busybox:1.35
        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        # the Service's name resolves (CoreDNS) to its ClusterIP, and through it the reply is the
        # web pod's page (busybox's nc by IP: its getaddrinfo is static glibc's, which fails here)
        command: ["sh", "-c", "nslookup web.selftest.svc.cluster.local | grep -F '${svc}' && printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n' | nc -w 5 ${svc} 80 | grep -q 'hello from a pod' && sleep 2"]
EOF
  kubectl wait -n selftest --for=condition=Complete job/client --timeout=120s >/dev/null || fail "Job client did not complete"
  say "Job (non-root, read-only root filesystem, DNS name -> ClusterIP -> pod) Complete $(( $(ms) - t )) ms after apply"

  if [ -n "${SIDECAR_IMAGE:-}" ]; then sidecar_pod "${SIDECAR_IMAGE}"; fi
  if [ -n "${OPERATOR_IMAGE:-}" ]; then operator_and_jobs "${OPERATOR_IMAGE}"; fi
  kubectl delete namespace selftest --wait=false >/dev/null
}

# The sidecar from its image in front of an app container in the same pod, its configuration
# (examples/sidecar.yaml) mounted from a ConfigMap, as non-root on a read-only root filesystem;
# requests through a ClusterIP Service get 429 past the `search` rule's 5 per second.
sidecar_pod() {
  local tar=$1 ref t svc codes
  bash "${NODE}" import "${tar}"
  ref="$(tar -xOf "${tar}" index.json | python3 -c 'import json, sys; print(json.load(sys.stdin)["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])')"
  kubectl create configmap -n selftest sluice-config --from-file=sidecar.yaml="${ROOT}/examples/sidecar.yaml" >/dev/null
  t=$(ms)
  kubectl apply -n selftest -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: shop, labels: {app: shop}}
spec:
  terminationGracePeriodSeconds: 5
  securityContext: {runAsNonRoot: true}
  containers:
  - name: app
    image: localhost/busybox:1.35
    command: ["httpd", "-f", "-p", "127.0.0.1:8081", "-h", "/www"]
    securityContext: {runAsUser: 65534, readOnlyRootFilesystem: true}
  - name: sidecar
    image: ${ref}
    args: ["--config", "/etc/sluice/sidecar.yaml", "--upstream", "http://127.0.0.1:8081"]
    ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 9090}]
    readinessProbe: {httpGet: {path: /readyz, port: admin}, periodSeconds: 1}
    resources: {limits: {memory: 256Mi}}
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts:
    - {name: config, mountPath: /etc/sluice, readOnly: true}
    - {name: tmp, mountPath: /tmp}
  volumes:
  - {name: config, configMap: {name: sluice-config}}
  - {name: tmp, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata: {name: shop}
spec: {selector: {app: shop}, ports: [{port: 80, targetPort: http}]}
EOF
  kubectl wait -n selftest --for=condition=Ready pod/shop --timeout=180s >/dev/null ||
    { kubectl logs -n selftest pod/shop -c sidecar >&2 || true; fail "sidecar pod not Ready"; }
  say "sidecar ${ref} Ready $(( $(ms) - t )) ms after apply (non-root, read-only root filesystem)"
  svc="$(kubectl get -n selftest svc shop -o jsonpath='{.spec.clusterIP}')"
  for _ in $(seq 50); do curl -s -o /dev/null --max-time 2 "http://${svc}/" && break; sleep 0.2; done
  codes="$(for _ in $(seq 12); do curl -s -o /dev/null -w '%{http_code} ' --max-time 5 "http://${svc}/api/search"; done)"
  say "12 requests to /api/search through the Service: ${codes}"
  case "${codes}" in *429*) ;; *) fail "no 429 past the limit through the sidecar" ;; esac
}

# The operator from its image, installed from deploy/operator.yaml (its ServiceAccount and
# least-privilege RBAC): it reconciles examples/, and its JobQuota webhook, called by the API
# server through its Service, holds real Jobs to maxConcurrentJobs (5), also while its pod is
# force-deleted mid-run. Concurrency is computed from the containers' own start and finish times.
operator_and_jobs() {
  local tar=$1 t ref deployed
  bash "${NODE}" import "${tar}"
  ref="$(tar -xOf "${tar}" index.json | python3 -c 'import json, sys; print(json.load(sys.stdin)["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])')"
  deployed="$(sed -n 's/^ *image: *//p' "${ROOT}/deploy/operator.yaml")"
  [ "${deployed}" = "${ref}" ] || fail "deploy/operator.yaml runs ${deployed}, the build wrote ${ref}: keep its tag the project version"
  kubectl apply -f "${ROOT}/crds/" >/dev/null
  t=$(ms)
  kubectl apply -f "${ROOT}/deploy/operator.yaml" >/dev/null
  kubectl rollout status -n sluice-system deployment/sluice-operator --timeout=180s >/dev/null ||
    { kubectl logs -n sluice-system -l app.kubernetes.io/name=sluice-operator --tail=50 >&2 || true; fail "operator not Ready"; }
  say "operator Ready $(( $(ms) - t )) ms after apply (its own ServiceAccount and RBAC, non-root, read-only root filesystem)"
  kubectl create namespace jobs >/dev/null
  kubectl apply -n jobs -f "${ROOT}/examples/ratelimitpolicy.yaml" -f "${ROOT}/examples/jobquota.yaml" >/dev/null
  kubectl wait -n jobs --for=condition=Ready rlp/shop-api jq/batch --timeout=120s >/dev/null || fail "examples not Ready"
  kubectl get -n jobs configmap sluice-config >/dev/null || fail "no sluice-config rendered"
  say "examples/ reconciled: rlp/shop-api and jq/batch Ready, ConfigMap sluice-config rendered"

  job_batch first 20
  job_batch forced 20 force-delete-operator
  local forbidden
  forbidden="$(kubectl logs -n sluice-system -l app.kubernetes.io/name=sluice-operator --tail=-1 | grep -c -i forbidden || true)"
  [ "${forbidden}" = 0 ] || fail "the operator was refused ${forbidden} times: deploy/operator.yaml lacks a permission"
}

job_batch() { # job_batch PREFIX COUNT [force-delete-operator]
  local prefix=$1 count=$2 i
  for i in $(seq 1 "${count}"); do cat <<EOF
---
apiVersion: batch/v1
kind: Job
metadata: {name: ${prefix}-${i}, labels: {workload: batch, batch: ${prefix}}}
spec:
  backoffLimit: 0
  template:
    metadata: {labels: {batch: ${prefix}}}
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: main, image: localhost/busybox:1.35, command: ["sleep", "2"]}]
EOF
  done > "${WORK}/${prefix}.yaml"
  local t=$(ms)
  kubectl apply -n jobs -f "${WORK}/${prefix}.yaml" >/dev/null
  if [ "${3:-}" = force-delete-operator ]; then
    sleep 3
    kubectl delete pod -n sluice-system -l app.kubernetes.io/name=sluice-operator --grace-period=0 --force >/dev/null 2>&1
    say "operator pod force-deleted with ${prefix} Jobs running and queued"
  fi
  kubectl wait -n jobs --for=condition=Complete job -l "batch=${prefix}" --timeout=600s >/dev/null ||
    fail "not every ${prefix} Job completed"
  kubectl get pods -n jobs -l "batch=${prefix}" -o json | python3 -c '
import json, sys
pods = json.load(sys.stdin)["items"]
count, limit = int(sys.argv[1]), 5
ran = [p["status"]["containerStatuses"][0]["state"]["terminated"] for p in pods]
assert len(pods) == count, f"{len(pods)} pods for {count} Jobs: each Job must run exactly once"
assert all(r["exitCode"] == 0 for r in ran), "a container failed"
# half-open [startedAt, finishedAt): the times have whole seconds, and a container that starts in
# the second another finishes must not count as overlapping (this can hide, never invent, overlap)
events = sorted([(r["startedAt"], 1) for r in ran] + [(r["finishedAt"], -1) for r in ran], key=lambda e: (e[0], e[1]))
running = peak = 0
for _, step in events:
    running += step
    peak = max(peak, running)
assert peak <= limit, f"{peak} containers ran at once, over maxConcurrentJobs {limit}"
print(peak)
' "${count}" > "${WORK}/${prefix}.peak" || fail "JobQuota not held for the ${prefix} Jobs"
  say "${count} ${prefix} Jobs Complete in $(( $(ms) - t )) ms, each ran once, at most $(cat "${WORK}/${prefix}.peak") at once (limit 5)"
}

compare() { # compare BEFORE AFTER WHAT
  if ! diff -u "$1" "$2" > "${WORK}/diff"; then
    cat "${WORK}/diff" >&2
    fail "the machine differs after $3 (above: - before, + after)"
  fi
  say "nothing left after $3"
}

bash "${NODE}" down
bash "${NODE}" snapshot > "${WORK}/before"

t=$(ms)
bash "${NODE}" up
say "up in $(( $(ms) - t )) ms"
workloads
if [ "${KEEP}" = 1 ]; then say "cluster left up (--keep)"; exit 0; fi
t=$(ms)
bash "${NODE}" down
say "down in $(( $(ms) - t )) ms"
bash "${NODE}" snapshot > "${WORK}/after"
compare "${WORK}/before" "${WORK}/after" "up, workloads, down"

# A run whose owner dies by SIGKILL with pods running; the next up must clean it up first.
sleep 3600 & owner_pid=$!
bash "${NODE}" up --owner "${owner_pid}"
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
bash "${NODE}" down
kill "${owner_pid}"; owner_pid=""
bash "${NODE}" snapshot > "${WORK}/after-kill"
compare "${WORK}/before" "${WORK}/after-kill" "a run killed with SIGKILL, the next up and down"
rm -rf "${WORK}"
say "OK"

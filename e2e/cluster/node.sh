#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for the e2e tests (e2e/cluster/README.md):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy and CoreDNS from the
# binaries e2e/cluster/build.sh provides, on containerd + runc + the bridge CNI plugin.
#
#   node.sh up [--owner PID] [--wait SECONDS] [--snapshot FILE]
#        start the cluster, first cleaning what a killed run left behind. --owner: the process
#        the cluster belongs to (the test JVM); once it is gone, the next `up` tears the cluster
#        down and starts afresh. Without --owner the cluster is held until `node.sh down`.
#        A cluster owned by another live process makes `up` wait up to --wait seconds (0) for it
#        to go, then fail with who holds it. --snapshot: `snapshot` of the machine without a
#        cluster into FILE, taken under the lock just before starting (for a before/after compare).
#   node.sh down [--owner PID] [--force]
#        stop everything `up` started and restore what it changed. A cluster another live process
#        owns is refused unless --owner names that process (the owner taking its own down) or --force.
#   node.sh status     who holds the cluster, and which components run
#   node.sh kubeconfig print the admin kubeconfig's path
#   node.sh import TAR...  import image tars into the node's containerd (names as in the tars; the
#                      kubelet never pulls, so pod specs use those names with a tag, not 'latest')
#   node.sh tag SRC DST  give an imported image another name (a new tag for a rollout, with no build)
#   node.sh snapshot   print what the cluster changes on the machine (processes, mounts, network
#                      namespaces, links and addresses, iptables, sysctls, cgroups, paths), for a
#                      before/after comparison
#   node.sh diagnose DIR   copy component and container logs, events and node/pod descriptions into DIR
#
# The node's resources are machine-wide (an address on lo, ports, /run/containerd, a bridge,
# iptables chains), so its state lives at one fixed path, /var/lib/sluice-node, and every command
# runs under an flock there: a run from any checkout finds, cleans or waits for another's cluster.
# Nothing is ever killed by name: only processes recorded in pid files (checked against their start
# time, so a recycled pid is never hit), containerd's own shim pid files, and the processes in the
# kubelet's kubepods cgroups.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOME_DIR=/var/lib/sluice-node
LOCK="${HOME_DIR}/lock"
OWNER="${HOME_DIR}/owner"
PIDS="${HOME_DIR}/pids"
LOGS="${HOME_DIR}/logs"
STATE="${HOME_DIR}/state"
IMAGES="${HOME_DIR}/images"
SAVED="${HOME_DIR}/saved"            # what `up` found before changing it; `down` puts it back
K8S_VERSION="${K8S_VERSION:-1.33.13}"
BIN="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-linux-amd64"

NODE_NAME=sluice-node
# kubelet refuses a 127.x node IP and this kernel has no dummy links: a private address on lo.
NODE_IP=10.211.0.1
POD_CIDR=10.244.0.0/24
POD_RANGE=10.244.0.0/16              # guarded as a whole
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
BRIDGE=sluicebr0
API_PORT=16443
CONTAINERD_STATE=/run/containerd     # shims put their sockets under /run/containerd/s regardless
CONTAINERD_SOCK="${CONTAINERD_STATE}/containerd.sock"
GUARD_CHAIN=SLUICE-NODE-GUARD
# Every component starts in this cgroup, and what they fork stays there: containerd's shims
# (which outlive containerd by design and, in containerd 1.6, leave no pid file) are found here.
if [ -d /sys/fs/cgroup/pids ]; then NODE_CGROUP=/sys/fs/cgroup/pids/sluice-node; else NODE_CGROUP=/sys/fs/cgroup/sluice-node; fi
# Components in start order; `down` stops them in reverse.
COMPONENTS="containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
# Sysctls the kubelet (overcommit, panic, keys), the bridge plugin (forwarding) or this script set.
SYSCTL_PATTERN='^(kernel\.(panic|panic_on_oops|keys\.root_maxkeys|keys\.root_maxbytes)|vm\.(overcommit_memory|panic_on_oom)|net\.ipv4\.ip_forward|net\.ipv4\.conf\.(all|default|lo)\.(forwarding|route_localnet)|net\.ipv6\.conf\.(all|default)\.forwarding|net\.bridge\.bridge-nf-call-(iptables|ip6tables)|net\.netfilter\.nf_conntrack_(max|tcp_timeout_established|tcp_timeout_close_wait)) = '
# Paths the components create when missing (besides their state under ${STATE}); `down` removes
# the ones `up` found missing.
# (the kubelet's device manager socket is always under /var/lib/kubelet/device-plugins, and its
# container log links under /var/log/containers, whatever --root-dir and podLogsDir say)
CREATED_PATHS="/run/containerd /run/netns /var/lib/cni /opt/containerd /var/run/kubernetes /var/lib/kubelet /var/log/containers"

T0=$(date +%s%N)
log() { printf '[node %5.1fs] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------------------------ pids and owner
start_time() { # start_time PID: field 22 of /proc/PID/stat (clock ticks since boot)
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  set -- ${stat}
  echo "${20}"
}
alive() { # alive "PID STARTTIME": that very process runs (a zombie waiting to be reaped does not)
  local pid="${1%% *}" started="${1##* }" stat
  [ -n "${pid}" ] || return 1
  stat="$(cat "/proc/${pid}/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  set -- ${stat}
  [ "$1" != Z ] && [ "${20}" = "${started}" ]
}
record() { echo "$1 $(start_time "$1")"; }
running() { [ -s "${PIDS}/$1.pid" ] && alive "$(cat "${PIDS}/$1.pid")"; }

owner_line() { [ -s "${OWNER}" ] && cat "${OWNER}"; }
owner_alive() { # the owner's process still runs (a hand-started cluster, owner "-", always counts)
  local line pid
  line="$(owner_line)" || return 1
  pid="$(awk '{print $1}' <<<"${line}")"
  [ "${pid}" = - ] && return 0
  alive "$(awk '{print $1, $2}' <<<"${line}")"
}
describe_owner() {
  local pid started at checkout
  read -r pid started at checkout < "${OWNER}"
  if [ "${pid}" = - ]; then
    echo "started by hand at ${at} from ${checkout} (held until: ${HERE}/node.sh down)"
  else
    echo "owned by pid ${pid} ($({ tr '\0' ' ' < "/proc/${pid}/cmdline"; } 2>/dev/null | cut -c1-120)) since ${at}, from ${checkout}"
  fi
}

# ------------------------------------------------------------------------------ down
stop_pid() { # stop_pid NAME: TERM, up to 10 s, then KILL; only the recorded process
  local n=$1 rec pid i
  [ -s "${PIDS}/${n}.pid" ] || return 0
  rec="$(cat "${PIDS}/${n}.pid")"; pid="${rec%% *}"
  if alive "${rec}"; then
    kill -TERM "${pid}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do alive "${rec}" || break; sleep 0.1; done
    if alive "${rec}"; then log "${n} (pid ${pid}) ignored SIGTERM for 10 s: SIGKILL"; kill -KILL "${pid}" 2>/dev/null || true; fi
    log "stopped ${n}"
  fi
  rm -f "${PIDS}/${n}.pid"
}

kubepods_pids() { # every process in the kubelet's pod cgroups, in any hierarchy
  find /sys/fs/cgroup -path '*/kubepods*' -name cgroup.procs 2>/dev/null | xargs -r cat 2>/dev/null | sort -un
}

node_cgroup_pids() { # what the components started and left: shims above all
  [ -f "${NODE_CGROUP}/cgroup.procs" ] && sort -un "${NODE_CGROUP}/cgroup.procs"
  return 0
}

iptables_cleanup() {
  local cmd table rule chain
  for cmd in iptables ip6tables; do
    command -v "${cmd}-save" >/dev/null || continue
    for table in filter nat mangle raw; do
      # jumps from the built-in chains into ours, then our chains (KUBE-* by kubelet and kube-proxy)
      "${cmd}-save" -t "${table}" 2>/dev/null |
        awk -v g="${GUARD_CHAIN}" '/^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) / && ($0 ~ / -j KUBE-/ || index($0, "-j " g)) { sub(/^-A/, "-D"); print }' |
        while read -r rule; do eval "${cmd} -w -t ${table} ${rule}" || true; done
      for chain in $("${cmd}-save" -t "${table}" 2>/dev/null | awk -v g=":${GUARD_CHAIN} " '/^:KUBE-/ || index($0, g) == 1 { print substr($1, 2) }'); do
        "${cmd}" -w -t "${table}" -F "${chain}" || true
      done
      for chain in $("${cmd}-save" -t "${table}" 2>/dev/null | awk -v g=":${GUARD_CHAIN} " '/^:KUBE-/ || index($0, g) == 1 { print substr($1, 2) }'); do
        "${cmd}" -w -t "${table}" -X "${chain}" || true
      done
    done
  done
}

do_down() {
  local n pids ns m d p
  # 1. the node agents, so nothing restarts the pods
  for n in kube-proxy kubelet; do stop_pid "${n}"; done
  # 2. pod containers, before the control plane: pods holding watches (CoreDNS) would keep the
  # apiserver's graceful shutdown waiting. Through containerd when it runs, then whatever is left
  # in the pod cgroups.
  if running containerd; then
    for ns in $(ctr --address "${CONTAINERD_SOCK}" namespaces ls -q 2>/dev/null); do
      for n in $(ctr --address "${CONTAINERD_SOCK}" -n "${ns}" tasks ls -q 2>/dev/null); do
        ctr --address "${CONTAINERD_SOCK}" -n "${ns}" tasks kill -s SIGKILL "${n}" >/dev/null 2>&1 || true
      done
      # a shim exits once its tasks are deleted
      for n in $(ctr --address "${CONTAINERD_SOCK}" -n "${ns}" tasks ls -q 2>/dev/null); do
        ctr --address "${CONTAINERD_SOCK}" -n "${ns}" tasks delete -f "${n}" >/dev/null 2>&1 || true
      done
    done
  fi
  pids="$(kubepods_pids)"
  if [ -n "${pids}" ]; then kill -KILL ${pids} 2>/dev/null || true; fi
  # 3. the control plane, newest first, then containerd and anything its shims left
  for n in kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do stop_pid "${n}"; done
  pids="$(node_cgroup_pids)"
  if [ -n "${pids}" ]; then kill -KILL ${pids} 2>/dev/null || true; fi
  for ((n = 0; n < 50; n++)); do [ -z "$(kubepods_pids)$(node_cgroup_pids)" ] && break; sleep 0.1; done
  pids="$(kubepods_pids)$(node_cgroup_pids)"
  [ -z "${pids}" ] || log "WARNING: processes of the cluster still running: $(echo ${pids})"
  if [ -d "${NODE_CGROUP}" ]; then rmdir "${NODE_CGROUP}" 2>/dev/null || log "WARNING: could not remove cgroup ${NODE_CGROUP}"; fi
  rm -rf "${PIDS}"
  # 4. mounts (pod volumes, overlay rootfs, shm, network namespaces), deepest first
  { grep -E " (${STATE}|${CONTAINERD_STATE}|/run/netns/cni-|/var/run/netns/cni-)" /proc/self/mountinfo || true; } |
    awk '{print $5}' | sort -r | while read -r m; do umount -l "${m}" 2>/dev/null || true; done
  for m in /run/netns/cni-*; do
    [ -e "${m}" ] || continue
    grep -qxF "$(basename "${m}")" "${SAVED}/netns" 2>/dev/null && continue
    ip netns delete "$(basename "${m}")" 2>/dev/null || rm -f "${m}"
  done
  log "unmounted the pods' volumes, root filesystems and network namespaces"
  # 5. network: bridge (its veths went with the namespaces), node address, rules and chains
  ip link del "${BRIDGE}" 2>/dev/null || true
  ip addr del "${NODE_IP}/32" dev lo 2>/dev/null || true
  iptables_cleanup
  log "removed the bridge, the node address and the iptables chains"
  # 6. cgroups the kubelet made (kubepods, its QoS tiers, one per pod and container), deepest first
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
    [ -d "${d}" ] || continue
    find "${d}" -depth -type d -exec rmdir {} + 2>/dev/null || true
    if [ -d "${d}" ]; then log "WARNING: could not remove cgroup ${d}"; fi
  done
  log "removed the pods' cgroups"
  # 7. sysctls, files, state
  if [ -s "${SAVED}/sysctl" ]; then
    local key value now
    while IFS='=' read -r key value; do
      now="$(sysctl -n "${key}" 2>/dev/null)" || continue
      [ "${now}" = "${value}" ] || sysctl -qw "${key}=${value}" 2>/dev/null || log "WARNING: could not restore ${key}=${value}"
    done < "${SAVED}/sysctl"
  fi
  rm -rf /var/lib/cni/results/sluice-node-* "${STATE}"
  if [ -s "${SAVED}/paths" ]; then
    while read -r p; do rm -rf "${p}"; done < "${SAVED}/paths"
  fi
  rm -rf "${SAVED}" "${OWNER}"
}

anything_left() { # leftovers of an earlier run: anything recorded, or the node's address, bridge or chains
  [ -n "$(ls -A "${PIDS}" 2>/dev/null)" ] || [ -n "$(node_cgroup_pids)" ] || [ -e "${SAVED}" ] || [ -e "${STATE}" ] || [ -e "${OWNER}" ] ||
    ip -4 addr show dev lo 2>/dev/null | grep " ${NODE_IP}/" >/dev/null || ip link show "${BRIDGE}" >/dev/null 2>&1 ||
    iptables -w -S 2>/dev/null | grep -- "-j ${GUARD_CHAIN}" >/dev/null
}

# ------------------------------------------------------------------------------ up
start() { # start NAME CMD...: own session, stdin closed, log and pid file by name
  local n=$1; shift
  mkdir -p "${NODE_CGROUP}"
  # 9>&-: the components must not inherit the lock, or it would be held for as long as they run.
  # The shell joins the node's cgroup, then becomes the component.
  setsid sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "${NODE_CGROUP}" "$@" >> "${LOGS}/${n}.log" 2>&1 < /dev/null 9>&- &
  record $! > "${PIDS}/${n}.pid"
}
wait_for() { # wait_for WHAT SECONDS COMPONENT CMD...: poll CMD; fail early when COMPONENT exits
  local what=$1 seconds=$2 component=$3 i; shift 3
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then log "${what}"; return 0; fi
    running "${component}" || { tail -n 30 "${LOGS}/${component}.log" >&2; die "${component} exited while waiting for: ${what}"; }
    sleep 0.2
  done
  tail -n 30 "${LOGS}/${component}.log" >&2
  die "timed out after ${seconds}s waiting for: ${what} (log: ${LOGS}/${component}.log)"
}
# Write stdin to FILE only when it changed: kube-proxy exits when its config file is rewritten.
put() { local tmp; tmp="$(mktemp)"; cat > "${tmp}"; if cmp -s "${tmp}" "$1"; then rm -f "${tmp}"; else mv "${tmp}" "$1"; fi; }
kubectl() { "${BIN}/kubectl" --kubeconfig "${STATE}/admin.kubeconfig" "$@"; }

preflight() {
  [ "$(id -u)" = 0 ] || die "needs root (it adds an address, a bridge, iptables rules and cgroups)"
  local c missing=""
  for c in ${COMPONENTS#containerd}; do [ -x "${BIN}/${c}" ] || missing+=" ${c}"; done
  [ -x "${BIN}/kubectl" ] || missing+=" kubectl"
  for c in containerd ctr runc iptables ip6tables conntrack; do command -v "${c}" >/dev/null || missing+=" ${c}"; done
  for c in bridge host-local loopback; do [ -x "/usr/lib/cni/${c}" ] || missing+=" cni/${c}"; done
  for c in pause busybox coredns; do [ -s "${IMAGES}/${c}.tar" ] || missing+=" images/${c}.tar"; done
  [ -z "${missing}" ] || die "missing:${missing}; run: bash ${HERE}/build.sh"
  # another containerd on the same state folder would be clobbered
  if [ -S "${CONTAINERD_SOCK}" ] && ctr --address "${CONTAINERD_SOCK}" version >/dev/null 2>&1 && ! running containerd; then
    die "a containerd this script did not start serves ${CONTAINERD_SOCK}; stop it first"
  fi
}

save_machine_state() {
  mkdir -p "${SAVED}"
  [ -e "${SAVED}/sysctl" ] || sysctl -a 2>/dev/null | grep -E "${SYSCTL_PATTERN}" | sed 's/ = /=/' > "${SAVED}/sysctl"
  [ -e "${SAVED}/netns" ] || { ls /run/netns 2>/dev/null || true; } > "${SAVED}/netns"
  if [ ! -e "${SAVED}/paths" ]; then
    local p
    for p in ${CREATED_PATHS}; do [ -e "${p}" ] || echo "${p}"; done > "${SAVED}/paths"
  fi
}

host_network() {
  ip -4 addr show dev lo | grep " ${NODE_IP}/32 " >/dev/null || ip addr add "${NODE_IP}/32" dev lo
  # Traffic stays on this machine: anything from the pod range or to the service range that would
  # leave through another interface than lo or the bridge is dropped, forwarded or local.
  iptables -w -N "${GUARD_CHAIN}" 2>/dev/null || iptables -w -F "${GUARD_CHAIN}"
  iptables -w -A "${GUARD_CHAIN}" -o lo -j RETURN
  iptables -w -A "${GUARD_CHAIN}" -o "${BRIDGE}" -j RETURN
  iptables -w -A "${GUARD_CHAIN}" -s "${POD_RANGE}" -j DROP
  iptables -w -A "${GUARD_CHAIN}" -d "${SERVICE_CIDR}" -j DROP
  # In OUTPUT, a packet kube-proxy DNATed to a pod still shows the output interface of its route
  # to the service IP (the reroute comes after the hook): let those through.
  iptables -w -A "${GUARD_CHAIN}" -d "${POD_RANGE}" -m conntrack ! --ctstate DNAT -j DROP
  local hook
  for hook in FORWARD OUTPUT; do
    iptables -w -C "${hook}" -j "${GUARD_CHAIN}" 2>/dev/null || iptables -w -I "${hook}" 1 -j "${GUARD_CHAIN}"
  done
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
}

pki() {
  local d="${STATE}/pki"
  mkdir -p "${d}"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=sluice-node-ca" \
    -keyout "${d}/ca.key" -out "${d}/ca.crt" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:%s,IP:%s\nextendedKeyUsage=serverAuth\n' \
    "${NODE_IP}" "${KUBERNETES_SERVICE_IP}" > "${d}/apiserver.ext"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "${d}/apiserver.key" -out "${d}/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "${d}/apiserver.csr" -CA "${d}/ca.crt" -CAkey "${d}/ca.key" -CAcreateserial -days 30 \
    -extfile "${d}/apiserver.ext" -out "${d}/apiserver.crt" 2>/dev/null
  # One client identity in system:masters for the control plane, the node and the tests; what the
  # operator may do is tested through its own ServiceAccount.
  printf 'extendedKeyUsage=clientAuth\n' > "${d}/client.ext"
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=admin" -keyout "${d}/admin.key" -out "${d}/admin.csr" 2>/dev/null
  openssl x509 -req -in "${d}/admin.csr" -CA "${d}/ca.crt" -CAkey "${d}/ca.key" -CAcreateserial -days 30 \
    -extfile "${d}/client.ext" -out "${d}/admin.crt" 2>/dev/null
  openssl genrsa -out "${d}/sa.key" 2048 2>/dev/null
  openssl rsa -in "${d}/sa.key" -pubout -out "${d}/sa.pub" 2>/dev/null
  cat > "${STATE}/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sluice-node
  cluster: {server: "https://${NODE_IP}:${API_PORT}", certificate-authority: "${d}/ca.crt"}
users:
- name: admin
  user: {client-certificate: "${d}/admin.crt", client-key: "${d}/admin.key"}
contexts:
- name: sluice-node
  context: {cluster: sluice-node, user: admin, namespace: default}
current-context: sluice-node
EOF
  log "PKI and kubeconfig written"
}

containerd_up() {
  mkdir -p "${STATE}/cni/net.d"
  put "${STATE}/containerd.toml" <<EOF
version = 2
root = "${STATE}/containerd"
state = "${CONTAINERD_STATE}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "${CONTAINERD_SOCK}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${STATE}/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:3.10"
  # This machine withholds CAP_SYS_RESOURCE: the negative oom_score_adj asked for every pod
  # sandbox (-998) makes runc fail ("can't get final child's PID from pipe: EOF"). Clamp it.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${STATE}/cni/net.d"
EOF
  # No ipMasq: pods only talk to each other and to this machine.
  put "${STATE}/cni/net.d/10-sluice-node.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "sluice-node", "plugins": [
  {"type": "bridge", "bridge": "${BRIDGE}", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "${POD_CIDR}", "gateway": "${POD_CIDR%.*}.1"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "${STATE}/cni-ipam"}}]}
EOF
  start containerd containerd --config "${STATE}/containerd.toml"
  wait_for "containerd serves ${CONTAINERD_SOCK}" 30 containerd ctr --address "${CONTAINERD_SOCK}" version
  local image
  for image in "${IMAGES}"/*.tar; do
    ctr --address "${CONTAINERD_SOCK}" -n k8s.io images import --snapshotter overlayfs "${image}" >/dev/null ||
      die "could not import ${image}"
  done
  log "imported $(ctr --address "${CONTAINERD_SOCK}" -n k8s.io images ls -q | grep -c '^localhost/') images: $(cd "${IMAGES}" && echo *.tar)"
}

control_plane_up() {
  local d="${STATE}/pki" kc="${STATE}/admin.kubeconfig"
  start etcd "${BIN}/etcd" --name sluice-node --data-dir "${STATE}/etcd" \
    --listen-client-urls http://127.0.0.1:12379 --advertise-client-urls http://127.0.0.1:12379 \
    --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 \
    --initial-cluster sluice-node=http://127.0.0.1:12380 --listen-metrics-urls http://127.0.0.1:12381
  wait_for "etcd healthy" 30 etcd curl -sf http://127.0.0.1:12379/health

  start kube-apiserver "${BIN}/kube-apiserver" --etcd-servers http://127.0.0.1:12379 \
    --bind-address "${NODE_IP}" --advertise-address "${NODE_IP}" --secure-port "${API_PORT}" \
    --tls-cert-file "${d}/apiserver.crt" --tls-private-key-file "${d}/apiserver.key" --client-ca-file "${d}/ca.crt" \
    --service-account-key-file "${d}/sa.pub" --service-account-signing-key-file "${d}/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range "${SERVICE_CIDR}" --authorization-mode Node,RBAC \
    --kubelet-client-certificate "${d}/admin.crt" --kubelet-client-key "${d}/admin.key" \
    --kubelet-preferred-address-types InternalIP --cert-dir "${STATE}/apiserver-certs" --profiling=false
  wait_for "kube-apiserver ready" 90 kube-apiserver kubectl get --raw /readyz

  start kube-controller-manager "${BIN}/kube-controller-manager" --kubeconfig "${kc}" \
    --authentication-kubeconfig "${kc}" --authorization-kubeconfig "${kc}" \
    --bind-address 127.0.0.1 --leader-elect=false --cluster-name sluice-node \
    --service-account-private-key-file "${d}/sa.key" --root-ca-file "${d}/ca.crt" \
    --cluster-signing-cert-file "${d}/ca.crt" --cluster-signing-key-file "${d}/ca.key" \
    --service-cluster-ip-range "${SERVICE_CIDR}" --use-service-account-credentials=false \
    --cert-dir "${STATE}/kcm-certs" --profiling=false
  start kube-scheduler "${BIN}/kube-scheduler" --kubeconfig "${kc}" \
    --authentication-kubeconfig "${kc}" --authorization-kubeconfig "${kc}" \
    --bind-address 127.0.0.1 --leader-elect=false --cert-dir "${STATE}/scheduler-certs" --profiling=false
}

node_up() {
  local d="${STATE}/pki" kc="${STATE}/admin.kubeconfig"
  put "${STATE}/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: "${NODE_IP}"
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "${d}/ca.crt"}
authorization: {mode: AlwaysAllow}
# cgroup v1 here, and containerd 1.6 cannot tell the kubelet its driver (the CRI RuntimeConfig
# call is Unimplemented): both stated.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: "unix://${CONTAINERD_SOCK}"
podLogsDir: "${STATE}/pod-logs"
# Pods ask CoreDNS (dns_up); nothing is resolved beyond the cluster, so no host resolv.conf.
resolvConf: ""
clusterDNS: ["${DNS_SERVICE_IP}"]
clusterDomain: ${CLUSTER_DOMAIN}
serializeImagePulls: false
maxPods: 250
# A changed ConfigMap reaches a pod's volume at the next sync of the pod: 10 s rather than the
# default minute, as the e2e tests wait for rendered sidecar configuration to arrive.
syncFrequency: 10s
# Tests must not be disturbed by evictions or image garbage collection on a shared disk.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  start kubelet "${BIN}/kubelet" --config "${STATE}/kubelet.yaml" --kubeconfig "${kc}" \
    --root-dir "${STATE}/kubelet" --cert-dir "${STATE}/kubelet-pki" \
    --hostname-override "${NODE_NAME}" --node-ip "${NODE_IP}" --v 1
  node_ready() { [ "$(kubectl get node "${NODE_NAME}" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
  wait_for "node ${NODE_NAME} Ready" 120 kubelet node_ready

  put "${STATE}/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "${kc}"}
mode: iptables
clusterCIDR: "${POD_RANGE}"
hostnameOverride: "${NODE_NAME}"
bindAddress: "${NODE_IP}"
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# zeros: leave the machine's conntrack sysctls alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
EOF
  start kube-proxy "${BIN}/kube-proxy" --config "${STATE}/kube-proxy.yaml"
  wait_for "kube-proxy healthy" 30 kube-proxy curl -sf http://127.0.0.1:10256/healthz
}

# Cluster DNS: CoreDNS (e2e/cluster/coredns, built by build.sh) as the kube-dns Service, so pods
# reach Services by name. It serves cluster.local only and forwards nothing.
dns_up() {
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:1053 {
        errors
        health :8080
        ready :8181
        kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        cache 30
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
      containers:
      - name: coredns
        image: localhost/coredns:1.15.0
        args: ["-conf", "/etc/coredns/Corefile"]
        ports:
        - {name: dns, containerPort: 1053, protocol: UDP}
        - {name: dns-tcp, containerPort: 1053, protocol: TCP}
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 1}
        livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 10}
        resources: {limits: {memory: 128Mi}}
        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: ${DNS_SERVICE_IP}
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, targetPort: dns, protocol: UDP}
  - {name: dns-tcp, port: 53, targetPort: dns-tcp, protocol: TCP}
EOF
  wait_for "CoreDNS Ready (kube-dns ${DNS_SERVICE_IP})" 120 kubelet \
    kubectl wait -n kube-system --for=condition=Available deployment/coredns --timeout=1s
}

do_up() {
  local owner=$1
  rm -rf "${LOGS}"
  mkdir -p "${PIDS}" "${LOGS}" "${STATE}"
  printf '%s %s %s %s\n' "${owner}" "$( [ "${owner}" = - ] && echo - || start_time "${owner}")" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(cd "${HERE}/../.." && pwd)" > "${OWNER}"
  save_machine_state
  host_network
  pki
  containerd_up
  control_plane_up
  node_up
  dns_up
  wait_for "default ServiceAccount exists" 60 kube-controller-manager kubectl get serviceaccount default
  log "cluster up in $(( ($(date +%s%N) - T0) / 1000000000 ))s: export KUBECONFIG=${STATE}/admin.kubeconfig"
}

lock() { # lock SECONDS: serialise every command that changes the node
  mkdir -p "${HOME_DIR}"
  exec 9> "${LOCK}"
  flock -n 9 && return 0
  log "waiting up to $1 s for another node.sh (holding ${LOCK}) to finish"
  flock -w "$1" 9 || die "another node.sh holds ${LOCK} for more than $1 s: $(fuser "${LOCK}" 2>/dev/null || echo '?')"
}
unlock() { flock -u 9; }

cmd_up() {
  local owner=- wait=0 snapshot=
  while [ $# -gt 0 ]; do
    case "$1" in
      --owner) owner=$2; shift 2 ;;
      --wait) wait=$2; shift 2 ;;
      --snapshot) snapshot=$2; shift 2 ;;
      *) die "unknown option $1 (usage: node.sh up [--owner PID] [--wait SECONDS] [--snapshot FILE])" ;;
    esac
  done
  [ "${owner}" = - ] || start_time "${owner}" >/dev/null || die "--owner ${owner}: no such process"
  preflight
  local deadline=$(( $(date +%s) + wait ))
  lock 300
  while owner_alive; do
    if [ "$(awk '{print $1}' "${OWNER}")" = "${owner}" ] && [ "${owner}" != - ]; then
      die "the cluster is already up for pid ${owner}"
    fi
    if [ "$(date +%s)" -ge "${deadline}" ]; then
      die "the cluster is in use: $(describe_owner)"
    fi
    unlock
    log "waiting for the cluster in use: $(describe_owner)"
    sleep 5
    lock 300
  done
  if anything_left; then
    log "cleaning up what an earlier run left behind$( [ -s "${OWNER}" ] && echo " ($(describe_owner), gone)")"
    do_down
  fi
  # The machine without a cluster, taken under the lock: no other run can be half up meanwhile.
  [ -z "${snapshot}" ] || cmd_snapshot > "${snapshot}"
  trap 'status=$?; if [ ${status} -ne 0 ]; then log "up failed: tearing down"; do_down; fi' EXIT
  do_up "${owner}"
  trap - EXIT
}

cmd_down() {
  local owner= force=false
  while [ $# -gt 0 ]; do
    case "$1" in
      --owner) owner=$2; shift 2 ;;
      --force) force=true; shift ;;
      *) die "unknown option $1 (usage: node.sh down [--owner PID] [--force])" ;;
    esac
  done
  [ "$(id -u)" = 0 ] || die "needs root"
  lock 300
  # A cluster a live process holds (up --owner) is taken down only by, or for, that process: another
  # run's `down` must not pull it from under it. A hand-started one (owner -) is anyone's.
  if owner_alive && ! ${force}; then
    local holder
    holder="$(awk '{print $1}' "${OWNER}")"
    if [ "${holder}" != - ] && [ "${holder}" != "${owner}" ]; then
      die "the cluster is in use: $(describe_owner); \`down --owner ${holder}\` (as its owner) or \`down --force\` takes it down"
    fi
  fi
  do_down
  log "down: nothing of the cluster is left"
}

cmd_status() {
  if [ -s "${OWNER}" ]; then
    if owner_alive; then echo "cluster $(describe_owner)"; else echo "leftovers of a cluster whose owner is gone: $(describe_owner)"; fi
  else
    echo "no cluster"
  fi
  local n
  for n in ${COMPONENTS}; do
    if running "${n}"; then echo "  ${n}: running, pid $(awk '{print $1}' "${PIDS}/${n}.pid")"
    elif [ -e "${PIDS}/${n}.pid" ]; then echo "  ${n}: NOT running (log: ${LOGS}/${n}.log)"; fi
  done
  owner_alive
}

cmd_snapshot() {
  echo "## processes (the cluster's components, containerd, shims, runc, CNI plugins, pods)"
  # Kubernetes binaries count when their command line names this cluster's state: kube-api-test
  # runs etcd and kube-apiserver from the same folder for other tests.
  local pid exe
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    exe="$(readlink "/proc/${pid}/exe" 2>/dev/null)" || continue
    case "${exe}" in
      "${BIN}"/*) tr '\0' ' ' < "/proc/${pid}/cmdline" 2>/dev/null | grep -F "${HOME_DIR}" >/dev/null && echo "${exe}" ;;
      /usr/bin/containerd* | /usr/sbin/runc | /usr/lib/cni/*) echo "${exe}" ;;
    esac
  done | sort | uniq -c
  kubepods_pids | sed 's/^/in kubepods cgroup: /'
  echo "## mounts"
  awk '{print $5, $9}' /proc/self/mountinfo | sort
  echo "## network namespaces"
  ls /run/netns 2>/dev/null || true
  echo "## links and addresses"
  ip -o link show | awk '{print $2, $3}' | sed 's/@[^:]*:/:/'
  ip -o addr show | awk '{print $2, $3, $4}'
  ip route show table all 2>/dev/null | grep -v '^local\|^broadcast\|^multicast\|^ff00::/8' || true
  local cmd table
  for cmd in iptables ip6tables; do
    echo "## ${cmd}-save (rules and non-built-in chains; empty built-in chains are no change)"
    command -v "${cmd}-save" >/dev/null || continue
    for table in filter nat mangle raw; do
      "${cmd}-save" -t "${table}" 2>/dev/null | grep -E '^-A|^:' | grep -vE '^:(INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) ACCEPT' | sed "s/^/${table} /" || true
    done
  done
  echo "## sysctls"
  sysctl -a 2>/dev/null | grep -E "${SYSCTL_PATTERN}" | sort
  echo "## cgroups"
  # second level, and the kubelet's trees at any depth; deeper ones belong to other tools
  { find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d; find /sys/fs/cgroup -type d -name 'kubepods*'; } 2>/dev/null | sort -u
  echo "## paths"
  local p
  for p in ${CREATED_PATHS} /var/lib/containerd /etc/cni /var/log/pods /etc/kubernetes; do
    [ -e "${p}" ] && echo "${p}: $(find "${p}" 2>/dev/null | wc -l) entries"
  done
  echo "## /var/lib/sluice-node"
  ls "${HOME_DIR}" 2>/dev/null | grep -vE '^(lock|logs|images)$' || true
}

cmd_import() {
  [ $# -gt 0 ] || die "usage: node.sh import TAR..."
  running containerd || die "the cluster is not up: ${HERE}/node.sh up"
  local tar
  for tar in "$@"; do
    [ -s "${tar}" ] || die "no image tar ${tar}"
    ctr --address "${CONTAINERD_SOCK}" -n k8s.io images import --snapshotter overlayfs "${tar}" >&2 ||
      die "could not import ${tar}"
  done
}

cmd_tag() {
  [ $# -eq 2 ] || die "usage: node.sh tag SRC DST"
  running containerd || die "the cluster is not up: ${HERE}/node.sh up"
  ctr --address "${CONTAINERD_SOCK}" -n k8s.io images tag --force "$1" "$2" >&2 || die "could not tag $1 as $2"
}

cmd_diagnose() {
  local dir=${1:?usage: node.sh diagnose DIR}
  mkdir -p "${dir}"
  cp -r "${LOGS}/." "${dir}/" 2>/dev/null || true
  # every container's log, a restarted container's earlier runs included, by namespace_pod_uid/container
  if [ -d "${STATE}/pod-logs" ]; then cp -r "${STATE}/pod-logs" "${dir}/pod-logs" 2>/dev/null || true; fi
  if [ -s "${STATE}/admin.kubeconfig" ] && kubectl get --raw /readyz >/dev/null 2>&1; then
    kubectl get events -A --sort-by=.lastTimestamp > "${dir}/events.txt" 2>&1 || true
    kubectl get all -A -o wide > "${dir}/objects.txt" 2>&1 || true
    kubectl describe node "${NODE_NAME}" > "${dir}/node.txt" 2>&1 || true
    kubectl describe pods -A > "${dir}/pods.txt" 2>&1 || true
    kubectl describe jobs -A > "${dir}/jobs.txt" 2>&1 || true
  fi
  cmd_status > "${dir}/status.txt" 2>&1 || true
  log "diagnostics in ${dir}"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  kubeconfig) echo "${STATE}/admin.kubeconfig" ;;
  snapshot) cmd_snapshot ;;
  import) shift; cmd_import "$@" ;;
  tag) shift; cmd_tag "$@" ;;
  diagnose) shift; cmd_diagnose "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64 ;;
esac

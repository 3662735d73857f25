#!/usr/bin/env bash
# The sidecar's memory and start-up as shipped: each variant runs in its own memory cgroup (v1 or v2, made
# here and removed at the end) with the variant's limit, in front of a tiny nginx upstream, and is measured
#   start   from exec to the admin port's /readyz answering 200 (polled every 5 ms), and the CPU time the
#           process used until then
#   idle    VmRSS and the cgroup's usage 5 s after ready
#   load    wrk, 32 connections, keep-alive, WRK_SECONDS (10) against the traffic port, then VmRSS, its
#           peak (VmHWM, the whole run), the cgroup's usage and peak, threads, and whether the kernel
#           OOM-killed anything in the cgroup
# in ROUNDS (3) interleaved rounds. With NMT=1 one more run per variant with -XX:NativeMemoryTracking=summary
# prints `jcmd VM.native_memory summary` after the load (NMT costs memory itself: its figures are not in
# the table).
#
#   sudo benchmarks/sidecar-memory.sh [VARIANT...]
#
# Variants (default: before after):
#   before  the jar run as the image ran it before (java -XX:MaxRAMPercentage=75 ... -jar) in the former
#           default limit, 256 MiB; BEFORE_JAR (default: this jar) is the build to run
#   after   sidecar/target/sluice-sidecar, the launcher (the image's flags, the CDS archive), in 128 MiB
#   plain   java -jar with the JVM's defaults, no memory limit (the issue's 408 MiB)
# Needs root (cgroups), nginx and wrk (apt-get install -y nginx-light wrk), curl, a built sidecar
# (mvn -o -q -B -P '!images' -pl api,sidecar -am package -DskipTests). Knobs: ROUNDS, WRK_SECONDS, NMT,
# PORT_BASE (18400), JAVA_HOME, CONFIG (default: one limit never reached, every request forwarded;
# examples/sidecar.yaml refuses most of wrk's requests, from one client, with 429).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-3}
wrk_seconds=${WRK_SECONDS:-10}
base=${PORT_BASE:-18400}
upstream_port=$base traffic_port=$((base + 1)) admin_port=$((base + 2))
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jcmd=${JAVA_HOME:+$JAVA_HOME/bin/}jcmd
jar=$here/sidecar/target/sluice-sidecar.jar
before_jar=${BEFORE_JAR:-$jar}
launcher=$here/sidecar/target/sluice-sidecar
config=${CONFIG:-}
variants=("$@")
(( ${#variants[@]} )) || variants=(before after)
work=$(mktemp -d)
pids=()
cgroups=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for cg in "${cgroups[@]}"; do rmdir "$cg" 2>/dev/null || echo "could not remove cgroup $cg" >&2; done
  rm -rf "$work"
}
trap cleanup EXIT

for tool in nginx wrk curl; do command -v "$tool" > /dev/null || { echo "needs $tool (apt-get install -y nginx-light wrk curl)" >&2; exit 1; }; done
[ -x "$launcher" ] && [ -f "$jar" ] || { echo "build the sidecar first: mvn -o -q -B -P '!images' -pl api,sidecar -am package -DskipTests" >&2; exit 1; }

if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then cgroup_root=/sys/fs/cgroup v2=1; else cgroup_root=/sys/fs/cgroup/memory v2=0; fi

# make_cgroup NAME BYTES: a memory cgroup with that limit and no swap; prints its path
make_cgroup() {
  local cg=$cgroup_root/sluice-memory-$$-$1
  mkdir "$cg"
  cgroups+=("$cg")
  if (( v2 )); then
    echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
    [ "$2" = max ] || echo "$2" > "$cg/memory.max"
  else
    [ "$2" = max ] || echo "$2" > "$cg/memory.limit_in_bytes"
  fi
  echo "$cg"
}
cgroup_usage() { if (( v2 )); then cat "$1/memory.current"; else cat "$1/memory.usage_in_bytes"; fi; }
cgroup_peak() { if (( v2 )); then cat "$1/memory.peak" 2>/dev/null || echo 0; else cat "$1/memory.max_usage_in_bytes"; fi; }
cgroup_ooms() {
  if (( v2 )); then sed -n 's/^oom_kill //p' "$1/memory.events"; else sed -n 's/^oom_kill //p' "$1/memory.oom_control"; fi
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
peak_rss_kib() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# CPU milliseconds (user + system, all threads) the process has used: start-up on a busy machine is
# better compared by this than by the wall clock
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }

# The configuration: CONFIG, or one limit that is never reached, so that every request is forwarded.
if [ -z "$config" ]; then
  config=$work/allowed.yaml
  printf 'policies:\n  - name: api\n    rules:\n      - name: all\n        limits: [{requests: 1000000000, period: 1s}]\n' > "$config"
fi

# The upstream: nginx answering a small 200 on loopback, access log off.
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$upstream_port; keepalive_requests 1000000; location / { return 200 "ok\n"; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$upstream_port/" > /dev/null && break; sleep 0.05; done

# command_of VARIANT [JAVA_OPTS]: the sidecar's command line
command_of() {
  local args=(--config "$config" --upstream "http://127.0.0.1:$upstream_port" --bind 127.0.0.1 --port "$traffic_port" --admin-port "$admin_port")
  case $1 in
    before) echo "$java -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData ${2:-} -jar $before_jar ${args[*]}" ;;
    after) echo "$launcher ${args[*]}" ;;
    plain) echo "$java ${2:-} -jar $jar ${args[*]}" ;;
    *) echo "unknown variant $1 (before, after, plain)" >&2; exit 64 ;;
  esac
}
limit_of() { case $1 in before) echo $((256 * 1048576)) ;; after) echo $((128 * 1048576)) ;; *) echo max ;; esac; }

# run VARIANT ROUND [JAVA_OPTS]: one measured run; prints a row
run() {
  local variant=$1 round=$2 opts=${3:-} cg pid t0 t1 start_cpu ready=0 idle_rss idle_cg load_rss peak_rss load_cg peak threads ooms rps
  cg=$(make_cgroup "$variant-$round" "$(limit_of "$variant")")
  t0=$EPOCHREALTIME
  # shellcheck disable=SC2046 # the command line is words
  JAVA_OPTS="$opts" setsid sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" $(command_of "$variant" "$opts") > "$work/$variant-$round.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 2000); do
    if curl -fs -o /dev/null "http://127.0.0.1:$admin_port/readyz"; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  t1=$EPOCHREALTIME
  start_cpu=$(cpu_ms "$pid" 2>/dev/null || echo 0)
  (( ready )) || { echo "$variant did not become ready:" >&2; cat "$work/$variant-$round.log" >&2; exit 1; }
  sleep 5
  idle_rss=$(rss_kib "$pid") idle_cg=$(cgroup_usage "$cg")
  rps=$(wrk -t2 -c32 -d"${wrk_seconds}s" "http://127.0.0.1:$traffic_port/api/hello" | sed -n 's/^Requests\/sec: *//p')
  sleep 1
  if kill -0 "$pid" 2>/dev/null; then
    load_rss=$(rss_kib "$pid") peak_rss=$(peak_rss_kib "$pid") threads=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$pid/status")
  else
    load_rss=0 peak_rss=0 threads=0
  fi
  load_cg=$(cgroup_usage "$cg") peak=$(cgroup_peak "$cg") ooms=$(cgroup_ooms "$cg")
  if [ -n "$opts" ] && kill -0 "$pid" 2>/dev/null; then
    echo "== $variant: jcmd $pid VM.native_memory summary (after the load)"
    "$jcmd" "$pid" VM.native_memory summary | sed -n '/^Total/,$p' | grep -E '^(Total|-)|committed=' | grep -v '^ *$' | head -60
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rmdir "$cg" && cgroups=("${cgroups[@]/$cg}")
  [ -n "$opts" ] && return 0
  printf '%-7s %5s %9.0f %9.0f %9s %9s %9s %9s %9s %9s %7s %5s %9.0f\n' "$variant" "$round" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) * 1000 }')" "$start_cpu" "$(mib $((idle_rss * 1024)))" "$(mib "$idle_cg")" \
    "$(mib $((load_rss * 1024)))" "$(mib $((peak_rss * 1024)))" "$(mib "$load_cg")" "$(mib "$peak")" "$threads" "${ooms:-0}" "${rps:-0}"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -r), cgroup v$((v2 ? 2 : 1)), $("$java" -version 2>&1 | sed -n 2p)"
echo "limits: before $(mib "$(limit_of before)") MiB, after $(mib "$(limit_of after)") MiB; wrk -t2 -c32 -d${wrk_seconds}s; MiB"
printf '%-7s %5s %9s %9s %9s %9s %9s %9s %9s %9s %7s %5s %9s\n' variant round start_ms start_cpu idle_rss idle_cg load_rss peak_rss load_cg peak_cg threads ooms req/s
for round in $(seq "$rounds"); do
  for variant in "${variants[@]}"; do run "$variant" "$round"; done
done
if [ "${NMT:-0}" = 1 ]; then
  for variant in "${variants[@]}"; do run "$variant" nmt "-XX:NativeMemoryTracking=summary"; done
fi

#!/usr/bin/env bash
# Builds the base image of the operator and sidecar images from Debian packages, with no Docker
# daemon and no registry: a jlink-trimmed JRE 17 (openjdk-17-jdk-headless), the shared libraries
# it links (libc6, zlib1g, libstdc++6, libgcc-s1), a non-root user and nothing else: no shell, no
# package manager. Jib (the `images` profile of sidecar/ and operator/) layers the apps on it.
#
#   images/target/sluice-base.tar    localhost/sluice-base:17, OCI layout + docker manifest.json
#
# Idempotent: does nothing when the tar is newer than this script and the JDK. ~20 s (jlink).
# Knobs: JAVA_HOME (/usr/lib/jvm/java-17-openjdk-amd64), OUT (images/target/sluice-base.tar)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JDK="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
OUT="${OUT:-${HERE}/target/sluice-base.tar}"
REF=localhost/sluice-base:17
# Uid/gid of the user the apps run as (distroless' "nonroot"); no home, no shell.
APP_UID=65532
# What the operator (fabric8 client over java.net.http, JOSDK, logback, snakeyaml's java.beans use,
# micrometer's JVM and process metrics, its probe server on jdk.httpserver) and the sidecar
# (Undertow/XNIO and Lettuce/Netty through jdk.unsupported, Caffeine, Resilience4j) load; TLS to the
# API server needs jdk.crypto.ec.
MODULES=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.management,jdk.naming.dns,jdk.unsupported

log() { printf '[images/build-base] %s\n' "$*" >&2; }

[ -x "${JDK}/bin/jlink" ] && [ -d "${JDK}/jmods" ] ||
  { log "no jlink/jmods in ${JDK}: apt-get install openjdk-17-jdk-headless"; exit 1; }
if [ -s "${OUT}" ] && [ "${OUT}" -nt "$0" ] && [ "${OUT}" -nt "${HERE}/oci-image.py" ] && [ "${OUT}" -nt "${JDK}/release" ]; then
  log "${OUT} is up to date"
  exit 0
fi

start=$(date +%s)
root="$(mktemp -d "${TMPDIR:-/tmp}/sluice-base.XXXXXX")"
trap 'rm -rf "${root}"' EXIT
"${JDK}/bin/jlink" --add-modules "${MODULES}" --strip-debug --no-header-files --no-man-pages \
  --compress=2 --output "${root}/opt/java"
# The JDK's cacerts is a symlink into /etc on Debian: put the file itself in the image.
if [ -L "${root}/opt/java/lib/security/cacerts" ]; then cp --remove-destination -L "${JDK}/lib/security/cacerts" "${root}/opt/java/lib/security/cacerts"; fi
# The shared libraries the JRE links, from the machine's Debian packages, at their own paths.
find "${root}/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} + 2>/dev/null |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }' | sort -u |
  while read -r lib; do
    mkdir -p "${root}$(dirname "${lib}")"
    cp -L "${lib}" "${root}${lib}"
  done
mkdir -p "${root}/lib64" "${root}/etc" "${root}/tmp" "${root}/usr/bin"
[ -e "${root}/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "${root}/lib64/"
chmod 1777 "${root}/tmp"
ln -s /opt/java/bin/java "${root}/usr/bin/java"
printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/tmp:/sbin/nologin\n' "${APP_UID}" "${APP_UID}" > "${root}/etc/passwd"
printf 'root:x:0:\nnonroot:x:%s:\n' "${APP_UID}" > "${root}/etc/group"
echo 'hosts: files dns' > "${root}/etc/nsswitch.conf"

jdk_version="$(dpkg-query -W -f='${Version}' openjdk-17-jdk-headless 2>/dev/null || "${JDK}/bin/java" -version 2>&1 | sed -n 1p)"
libc_version="$(dpkg-query -W -f='${Version}' libc6 2>/dev/null || echo unknown)"
mkdir -p "$(dirname "${OUT}")"
python3 "${HERE}/oci-image.py" --rootfs "${root}" --ref "${REF}" --out "${OUT}" \
  --user "${APP_UID}:${APP_UID}" --workdir /tmp \
  --env JAVA_HOME=/opt/java --env LANG=C.UTF-8 \
  --label "org.opencontainers.image.title=sluice-base" \
  --label "org.opencontainers.image.description=jlink-trimmed OpenJDK 17 runtime (${MODULES}) on Debian's glibc, non-root, no shell" \
  --label "org.opencontainers.image.version=17" \
  --label "dev.sluice.base.openjdk=${jdk_version}" \
  --label "dev.sluice.base.libc6=${libc_version}" >&2
log "${REF}: $(du -h "${OUT}" | cut -f1) in ${OUT} ($(( $(date +%s) - start ))s)"

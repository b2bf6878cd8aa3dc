#!/bin/bash
# Boots a user-data script in a throwaway copy of the Debian 13 EC2 image root, as cloud-init
# would run it (root, a clean environment). Run by lab/boot/harness.ts inside the test's network
# namespace and a private mount namespace (`ip netns exec NS unshare -m --propagation private`),
# so every mount below disappears with this process.
#
# usage: run-in-image.sh IMAGE_ROOT WORK_DIR
#   WORK_DIR holds user-data.sh, hosts, ca.crt, debian.sources and runtime-paths from the
#   harness; this script writes upper/ (what the boot changed), console.log, exit-code,
#   units.tsv, sockets.txt, runtime-stat.txt and timers.log.
set -euo pipefail

IMAGE=$1
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
M=$WORK/merged

mkdir -p "$WORK/upper" "$WORK/overlay-work" "$M"
mount -t overlay overlay -o "lowerdir=$IMAGE,upperdir=$WORK/upper,workdir=$WORK/overlay-work" "$M"
mount -t proc proc "$M/proc"
# The image's own /dev nodes (from debootstrap), never the host's: /dev/log is created below.
mount -t tmpfs -o mode=0755 tmpfs "$M/run"
mount -t tmpfs tmpfs "$M/sys"
mkdir -p "$M/sys/fs/cgroup"
mount -t cgroup2 cgroup2 "$M/sys/fs/cgroup"
# The host's kernel settings are not the test's to change: /proc/sys is read-only in here, except
# the two buffer limits the user-data sets (not namespaced, so each gets a file of its own).
mount --bind "$M/proc/sys" "$M/proc/sys"
mount -o remount,bind,ro "$M/proc/sys"
for key in rmem_max wmem_max; do
  cat "/proc/sys/net/core/$key" >"$WORK/sysctl-$key"
  mount --bind "$WORK/sysctl-$key" "$M/proc/sys/net/core/$key"
done

# The instance's world: names of the mirror and AWS endpoints point into the namespace, the
# stand-ins' TLS certificate is trusted, apt reads the local repository, systemd "runs".
cat "$WORK/hosts" >>"$M/etc/hosts"
cat "$WORK/ca.crt" >>"$M/etc/ssl/certs/ca-certificates.crt"
rm -f "$M/etc/apt/sources.list"
install -m 0644 "$WORK/debian.sources" "$M/etc/apt/sources.list.d/debian.sources"
install -m 0755 "$HERE/systemctl" "$M/usr/local/sbin/systemctl"
install -m 0755 "$HERE/sleep" "$M/usr/local/bin/sleep"
mkdir -p "$M/run/systemd/system" "$M/run/systemd/journal"
ln -sf /run/systemd/journal/dev-log "$M/dev/log"
install -D -m 0700 "$WORK/user-data.sh" "$M/var/lib/cloud/instance/scripts/part-001"
# systemd's journald, the image's own, as it runs on a booted instance; registered with the
# systemctl stand-in so that `systemctl restart systemd-journald` replaces this one.
chroot "$M" /usr/lib/systemd/systemd-journald >"$WORK/journald.log" 2>&1 &
mkdir -p "$M/run/systemctl-standin"
echo $! >"$M/run/systemctl-standin/systemd-journald.service.pid"
for _ in $(seq 1 100); do
  [[ -S $M/run/systemd/journal/dev-log ]] && break
  sleep 0.05
done

started=$(date +%s.%N)
set +e
chroot "$M" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root LANG=C.UTF-8 /var/lib/cloud/instance/scripts/part-001 >"$WORK/console.log" 2>&1
echo $? >"$WORK/exit-code"
set -e
echo "$started $(date +%s.%N)" >"$WORK/timing"
# The instance keeps running after its first-boot script: give the services a moment, as the
# CloudWatch agent would, before the evidence is collected.
for _ in $(seq 1 50); do
  grep -q ' kamailio\[' "$M/var/log/kamailio.log" 2>/dev/null && break
  sleep 0.1
done
# A minute later the instance's timers fire (the systemctl stand-in runs none): each enabled
# timer's service is started once, as its first firing would, and given a moment to log.
: >"$WORK/timers.log"
for active in "$M"/run/systemctl-standin/*.timer.active; do
  [[ -f $active ]] || continue
  timer=$(basename "$active" .active)
  echo "firing $timer" >>"$WORK/timers.log"
  chroot "$M" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 systemctl start "${timer%.timer}.service" >>"$WORK/timers.log" 2>&1 ||
    echo "exit $? from ${timer%.timer}.service" >>"$WORK/timers.log"
done
if [[ -s $WORK/timers.log ]]; then
  lines=$(wc -l <"$M/var/log/kamailio.log" 2>/dev/null || echo 0)
  for _ in $(seq 1 30); do
    sleep 0.1
    [[ $(wc -l <"$M/var/log/kamailio.log" 2>/dev/null || echo 0) -gt $lines ]] && break
  done
  sleep 0.3
fi

# Evidence: every unit the stand-in started, whether it still runs, and its command line.
: >"$WORK/units.tsv"
for pidfile in "$M"/run/systemctl-standin/*.pid; do
  [[ -f $pidfile ]] || continue
  unit=$(basename "$pidfile" .pid)
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    printf '%s\t%s\trunning\t%s\n' "$unit" "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline")" >>"$WORK/units.tsv"
  else
    printf '%s\t%s\tgone\t\n' "$unit" "$pid" >>"$WORK/units.tsv"
  fi
done
ss -lntu >"$WORK/sockets.txt"
# Owner, group, mode and type of runtime files the harness asked about (/run vanishes with the
# copy): "path owner group mode type", or "path missing".
: >"$WORK/runtime-stat.txt"
while read -r path; do
  [[ -n $path ]] || continue
  chroot "$M" stat -c "%n %U %G %a %F" "$path" >>"$WORK/runtime-stat.txt" 2>/dev/null ||
    echo "$path missing" >>"$WORK/runtime-stat.txt"
done <"$WORK/runtime-paths"
chroot "$M" journalctl --no-pager --output=short-iso-precise >"$WORK/journal.txt" 2>&1 || true
cp "$M/proc/sys/net/core/rmem_max" "$WORK/sysctl-rmem_max.after"

# Stop everything that runs from the copy, so the namespace (and its mounts) can end.
for proc in /proc/[0-9]*; do
  if [[ $(readlink "$proc/root" 2>/dev/null) == "$M" ]]; then
    kill -9 "${proc#/proc/}" 2>/dev/null || true
  fi
done

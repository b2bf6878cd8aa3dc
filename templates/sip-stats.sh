#!/bin/bash
# sip-proxy-stats: Kamailio's shared-memory use and the transactions it holds, as one line in
# the Kamailio log, which the CloudWatch agent ships; metric filters take the two numbers out
# of it (constructs/monitoring.ts, NODE_STAT_METRICS). The instance's role cannot put metric
# data, and needs not: the log is the path. A systemd timer runs it once a minute as user
# kamailio, whose group may use Kamailio's RPC socket; the unit sends its output to the journal
# as "kamailio", so the line lands in /var/log/kamailio.log beside the SIPLOG lines:
#
#   SIPSTAT shm_used_percent 42.5 transactions 17
#
# Each number is a field of its own, after its name: a space-delimited metric filter takes a
# metric's value from a whole field ("shm_used_percent=42.5" would not be a number).
# - shm_used_percent: real_used / total of `kamcmd core.shmmem`, what the allocator has handed
#   out with its overhead; at 100 % Kamailio can start no transaction and answers 500.
# - transactions: "current" of `kamcmd tm.stats`, transactions held (in progress, or answered
#   and waiting out tm's wait timer).
# When Kamailio does not answer, the line is "SIPSTAT error=rpc-unanswered" (no datapoint: the
# alarm sees missing data), kamcmd's message goes to stderr and the unit fails.
# SIP_PROXY_KAMCMD replaces `kamcmd` (the lab points it at a test Kamailio's socket).
set -uo pipefail
export LC_ALL=C
read -r -a KAMCMD <<<"${SIP_PROXY_KAMCMD:-kamcmd}"

if ! shm=$("${KAMCMD[@]}" core.shmmem 2>&1) || ! tm=$("${KAMCMD[@]}" tm.stats 2>&1); then
  echo "SIPSTAT error=rpc-unanswered"
  printf '%s\n' "${tm:-${shm:-}}" >&2
  exit 1
fi
percent=$(awk '$1 == "total:" { t = $2 } $1 == "real_used:" { u = $2 } END { if (t > 0) printf "%.1f", 100 * u / t }' <<<"$shm")
current=$(awk '$1 == "current:" { print $2; exit }' <<<"$tm")
if [[ -z $percent || ! $current =~ ^[0-9]+$ ]]; then
  echo "SIPSTAT error=rpc-unreadable"
  printf '%s\n%s\n' "$shm" "$tm" >&2
  exit 1
fi
echo "SIPSTAT shm_used_percent $percent transactions $current"

#!/bin/bash
# sip-proxy-drain: keeps a proxy that Auto Scaling is terminating in service until its calls'
# transactions are done, then lets the termination go on (README "Scale-in, refresh and
# deploys"). It runs as a systemd service from boot and waits:
# 1. until instance metadata's autoscaling/target-lifecycle-state reads "Terminated" (scale-in,
#    instance refresh, a failed health check);
# 2. at least the target group's deregistration delay from then: until it ends, the NLB still
#    sends this instance the flows pinned to it, new INVITEs included, and Kamailio keeps
#    relaying them as usual;
# 3. until Kamailio has no transaction left (`kamcmd tm.stats`, "current"): a call that
#    arrived at the last moment rings, is answered or given up, and its ACK goes through;
# then completes the termination lifecycle hook. It logs a SIPLOG line at each step, which
# reaches the Kamailio log and the DrainsStarted/DrainsCompleted metrics. If it dies, the
# hook's timeout (sized from the ring and transaction timers) lets the termination go on.
# Settings come from the environment (the unit's Environment= lines); the network twin runs
# this file as is, pointing SIP_PROXY_IMDS and SIP_PROXY_KAMCMD at its stand-ins.
set -uo pipefail

HOOK=${SIP_PROXY_DRAIN_HOOK:?}
GROUP=${SIP_PROXY_DRAIN_GROUP:?}
DELAY_S=${SIP_PROXY_DRAIN_DELAY_S:?}
POLL_S=${SIP_PROXY_DRAIN_POLL_S:-5}
IMDS=${SIP_PROXY_IMDS:-http://169.254.169.254}
read -r -a KAMCMD <<<"${SIP_PROXY_KAMCMD:-kamcmd}"

log() { echo "SIPLOG event=drain $*"; }

imds() {
  local token
  token=$(curl -fsS -m 2 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$IMDS/latest/api/token") &&
    curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"
}

# Transactions Kamailio holds now; 0 when it does not answer (nothing left to drain).
transactions() {
  local stats
  stats=$("${KAMCMD[@]}" tm.stats 2>/dev/null) || {
    echo 0
    return
  }
  awk '$1 == "current:" { print $2; exit }' <<<"$stats"
}

until [ "$(imds autoscaling/target-lifecycle-state 2>/dev/null)" = "Terminated" ]; do sleep "$POLL_S"; done

started=$(date +%s)
instance=$(imds instance-id)
region=$(imds placement/region)
log "state=started instance=$instance delay=${DELAY_S}s"
while :; do
  held=$(transactions)
  elapsed=$(($(date +%s) - started))
  if [ "$held" = 0 ] && [ "$elapsed" -ge "$DELAY_S" ]; then
    if aws autoscaling complete-lifecycle-action --region "$region" --auto-scaling-group-name "$GROUP" \
      --lifecycle-hook-name "$HOOK" --instance-id "$instance" --lifecycle-action-result CONTINUE; then
      log "state=completed instance=$instance seconds=$elapsed"
      exit 0
    fi
    log "state=retrying instance=$instance seconds=$elapsed (complete-lifecycle-action failed)"
  else
    log "state=waiting instance=$instance transactions=$held seconds=$elapsed"
  fi
  sleep "$POLL_S"
done

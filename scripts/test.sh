#!/bin/bash
# The whole suite, as the README and CI run it: OS tools, the Debian 13 roots (built once per
# machine and cached, see lab/debian-root.ts; the moto root of the deploy rehearsal too), type
# check, lint, then the jest layers: the timer-sensitive ones alone, the rest side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
# Terraform and cdktf must never call HashiCorp's version-check service from here.
export CHECKPOINT_DISABLE=1

step() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }

step "test tools"
bash scripts/install-test-tools.sh
if ! command -v terraform >/dev/null 2>&1; then
  echo "terraform is not installed; the terraform layer will fail. Install Terraform >= 1.10." >&2
fi

step "Debian 13 roots (cache: ${SIP_PROXY_CACHE_DIR:-/var/cache/sip-proxy-infra}), beside type check and lint"
# Resolving the roots' package versions is mostly apt reading the archive's lists: it shares the
# cores with the type check and lint, and its output follows theirs.
roots_log="$(mktemp)"
npx tsx scripts/roots.ts >"$roots_log" 2>&1 &
roots_pid=$!

step "typecheck"
npx tsc --noEmit

step "lint"
npx eslint .
npx prettier --check .
shellcheck scripts/*.sh templates/drain.sh bench/synth .ci/run lab/boot/systemctl lab/boot/sleep lab/boot/run-in-image.sh

step "Debian 13 roots: result"
roots_status=0
wait "$roots_pid" || roots_status=$?
cat "$roots_log"
rm -f "$roots_log"
[ "$roots_status" -eq 0 ] || exit "$roots_status"

# Each layer run in the background writes its own log, printed whole when it ends, so the
# output is never interleaved.
logs="$(mktemp -d)"
declare -A layer_of=()
trap 'rm -rf "$logs"' EXIT
# Background jobs of a script ignore Ctrl-C: pass it on, or they would run on unseen.
trap 'kill -TERM "${!layer_of[@]}" 2>/dev/null; exit 130' INT TERM
started=$SECONDS
# start_layer <layer> <workers> [command prefix...]: runs the layer's jest in the background.
start_layer() {
  local layer="$1" workers="$2"
  shift 2
  "$@" node_modules/.bin/jest --passWithNoTests --maxWorkers="$workers" --selectProjects "$layer" "${jest_args[@]}" >"$logs/$layer.log" 2>&1 &
  layer_of[$!]="$layer"
  echo "started: $layer (pid $!)"
}
jest_args=("$@")

step "tests, timing-sensitive layers, with the unit layer at the lowest priority beside them"
# The SIP and twin layers assert on SIP timers. Their files mostly wait on those timers (about
# a tenth of a core each), so three run at a time, and the unit layer (pure computation: no
# timer, no network, no disk to speak of) takes the idle cores at nice 19, which the kernel
# hands back to Kamailio, SIPp and the rigs whenever they wake. Nothing else runs beside them.
start_layer unit 1 nice -n 19
failed=()
npx jest --passWithNoTests --maxWorkers=5 --selectProjects sip twin "$@" || failed+=(sip/twin)

step "tests, tools, Terraform, deploy rehearsal, ops and boot layers (side by side)"
# These assert on no timer, and several spend much of their time waiting (on the provider's
# polling, on the boot's retries), so they share the two cores, one file at a time each (a
# second worker only slowed everything: the cores are the limit). The rehearsal goes first
# (nice -5): with moto starved of CPU, requests the provider resent met moto's duplicate
# checks (FlowLogAlreadyExists, InvalidPermission.Duplicate) and failed applies EC2 would pass.
start_layer rehearsal 1 nice -n -5
for layer in tools terraform ops boot; do
  start_layer "$layer" 1
done
# Polled rather than `wait -n`, which in bash 5.2 loses jobs that end together ("no such job").
while ((${#layer_of[@]} > 0)); do
  sleep 1
  for pid in "${!layer_of[@]}"; do
    kill -0 "$pid" 2>/dev/null && continue
    status=0
    wait "$pid" || status=$?
    layer="${layer_of[$pid]}"
    unset "layer_of[$pid]"
    printf '\n-- %s: %s after %d s\n' "$layer" "$([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)")" $((SECONDS - started))
    cat "$logs/$layer.log"
    [ "$status" -eq 0 ] || failed+=("$layer")
  done
done
if ((${#failed[@]} > 0)); then
  echo "failed layers: ${failed[*]}" >&2
  exit 1
fi

#!/bin/bash
# The whole suite, as the README and CI run it: OS tools, the Debian 13 roots (built once per
# machine and cached, see lab/debian-root.ts; the moto root of the deploy rehearsal too), type
# check, lint, then the jest layers.
set -euo pipefail
cd "$(dirname "$0")/.."
# Terraform and cdktf must never call HashiCorp's version-check service from here.
export CHECKPOINT_DISABLE=1

step() { printf '\n== %s\n' "$*"; }

step "test tools"
bash scripts/install-test-tools.sh
if ! command -v terraform >/dev/null 2>&1; then
  echo "terraform is not installed; the terraform layer will fail. Install Terraform >= 1.10." >&2
fi

step "Debian 13 roots (cache: ${SIP_PROXY_CACHE_DIR:-/var/cache/sip-proxy-infra})"
npx tsx scripts/roots.ts

step "typecheck"
npx tsc --noEmit

step "lint"
npx eslint .
npx prettier --check .
shellcheck scripts/*.sh bench/synth .ci/run lab/boot/systemctl lab/boot/sleep lab/boot/run-in-image.sh

step "tests"
# The boot layer (apt and dpkg in a chroot) runs on its own afterwards, so that it never
# shares the two cores with the SIP layer's timer assertions.
npx jest --passWithNoTests --selectProjects unit tools sip terraform ops twin "$@"
step "deploy rehearsal (moto)"
# Every stack applied to moto on loopback; on its own, since three Terraform providers and the
# emulator would compete with the SIP layer's timers for the two cores.
npx jest --passWithNoTests --selectProjects rehearsal "$@"
step "boot test"
npx jest --passWithNoTests --selectProjects boot "$@"

#!/bin/bash
# Installs the OS tools the test suite needs, when missing, from Debian/Ubuntu packages:
# kamailio and its TLS module (real config checks and test instances), sip-tester (SIPp),
# openssl (lab certificates), shellcheck and graphviz (`dot`, for the architecture pictures).
# Terraform is not in those repositories; the suite reports how to install it if absent.
set -euo pipefail

declare -A PACKAGE_FOR=([kamailio]=kamailio [sipp]=sip-tester [shellcheck]=shellcheck [dot]=graphviz [openssl]=openssl)
missing=()
for tool in "${!PACKAGE_FOR[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_FOR[$tool]}")
done
# A module, not a command: Kamailio's TLS support is a package of its own.
if ! ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1; then
  missing+=(kamailio-tls-modules)
fi

if ((${#missing[@]} == 0)); then
  echo "test tools present: kamailio (with tls), sipp, shellcheck, dot, openssl"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "missing ${missing[*]}; run as root or install them: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "installing ${missing[*]} with apt-get (once per machine)"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

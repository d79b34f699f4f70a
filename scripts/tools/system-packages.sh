#!/usr/bin/env bash
# Installs the Debian packages the deploy checks and benchmarks use when they are missing: nginx (checks
# the prod nginx config with `nginx -t`; the gateway bench's baseline), openssl, and wrk (the HTTP benches).
# Prints nothing on stdout; needs root when something is missing.
set -euo pipefail
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v openssl >/dev/null || missing+=(openssl)
command -v wrk >/dev/null || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  bash "$(dirname "$0")/apt-install.sh" "${missing[@]}"
fi

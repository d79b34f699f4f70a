#!/usr/bin/env bash
# Installs the Debian packages the deploy checks use when they are missing: nginx (checks the prod
# nginx config with `nginx -t`) and libjemalloc2 (the image-worker's allocator, for the image simulation).
# Prints nothing on stdout; needs root when something is missing.
set -euo pipefail
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
ldconfig -p | grep -q 'libjemalloc\.so\.2 ' || missing+=(libjemalloc2)
command -v openssl >/dev/null || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

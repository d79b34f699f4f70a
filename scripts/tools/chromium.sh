#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the browser the web app's e2e tests and the screenshot
# script drive with playwright-core (which downloads no browser of its own). Prints the binary's path.
# Needs root when it is missing.
set -euo pipefail
if ! [ -x /usr/bin/chromium ]; then
  echo "installing chromium" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
fi
echo /usr/bin/chromium

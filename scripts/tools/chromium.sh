#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the browser the web app's e2e tests and the screenshot
# script drive with playwright-core (which downloads no browser of its own). Prints the binary's path.
# Needs root when it is missing.
set -euo pipefail
if ! [ -x /usr/bin/chromium ]; then
  echo "installing chromium" >&2
  bash "$(dirname "$0")/apt-install.sh" chromium fonts-dejavu-core
fi
echo /usr/bin/chromium

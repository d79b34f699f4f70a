#!/usr/bin/env bash
# Builds or fetches every pinned tool the deploy checks, the storage tests (versitygw) and the API contract
# test (openapi-check) use (idempotent; cached outside the repo in ${XDG_CACHE_HOME:-$HOME/.cache}/ipp-tools).
# Run after `npm ci`: the schema converter uses the `yaml` package.
set -euo pipefail
cd "$(dirname "$0")"
bash system-packages.sh
# The browser the web app's tests drive (Debian's chromium, through playwright-core).
echo "chromium: $(bash chromium.sh)"
for tool in helm kubeconform kubernetes-schemas compose-schema compose-config versitygw openapi-check; do
  echo "$tool: $(bash "$tool.sh")"
done

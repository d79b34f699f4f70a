#!/usr/bin/env bash
# Builds openapi-check (scripts/tools/openapi-check: kin-openapi's openapi3filter over recorded exchanges) into
# the tool cache, once per version of its source; prints the binary's path. The API contract test runs it.
# Usage: scripts/tools/openapi-check.sh
set -euo pipefail
cd "$(dirname "$0")"
source lib.sh

command -v go >/dev/null || { echo "openapi-check.sh: Go is needed to build openapi-check" >&2; exit 1; }
version="$(cat openapi-check/go.mod openapi-check/go.sum openapi-check/main.go | sha256sum | cut -c1-12)"
dir="$TOOLS_CACHE/openapi-check-$version"
if [ ! -x "$dir/openapi-check" ]; then
  echo "building openapi-check $version" >&2
  staging="$(mktemp -d "$TOOLS_CACHE/.staging-openapi-check.XXXXXX")"
  (cd openapi-check && GOFLAGS=-buildvcs=false go build -o "$staging/openapi-check" .) >&2
  mkdir -p "$dir"
  mv "$staging/openapi-check" "$dir/openapi-check"
  rmdir "$staging"
fi
echo "$dir/openapi-check"

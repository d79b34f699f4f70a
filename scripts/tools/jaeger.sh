#!/usr/bin/env bash
# Builds Jaeger (all-in-one: OTLP receiver, in-memory storage, query API and UI) from its Go module at a
# pinned version into a cache outside the repository, once; prints the binary's path.
# Usage: scripts/tools/jaeger.sh   (JAEGER_VERSION overrides the pin)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# v1.75.0 is Jaeger 2.12.0 (v1.74.0 is 2.11.0); v1.76.0 is served but marked to skip.
version="${JAEGER_VERSION:-v1.75.0}"
cache="$TOOLS_CACHE/jaeger-${version}"
binary="$cache/jaeger"

hold_lock "jaeger-$version"
if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

command -v go >/dev/null || { echo "jaeger.sh: Go is needed to build Jaeger" >&2; exit 1; }
mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A throwaway module that requires Jaeger as a tool resolves its dependencies as Jaeger's go.mod pins them.
(
  cd "$work"
  go mod init ipp-tools/jaeger >/dev/null 2>&1
  go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@${version}" >&2
  go build -trimpath -ldflags='-s -w' -o "$work/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger >&2
)
mv "$work/jaeger" "$binary"
echo "$binary"

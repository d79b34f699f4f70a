#!/usr/bin/env bash
# Builds etcd (the server) from its Go module at a pinned version into the tools cache, once; prints the
# binary's path. ETCD_VERSION overrides the pin (Kubernetes 1.37's client is etcd 3.7).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

version="${ETCD_VERSION:-v3.7.3}"
dir="$TOOLS_CACHE/etcd-$version"
hold_lock "etcd-$version"
if [ ! -x "$dir/etcd" ]; then
  echo "building etcd $version from go.etcd.io/etcd/server/v3" >&2
  # Its go.mod replaces its sibling modules with directories of its repository, which `go install …@version`
  # refuses: a wrapper module requires it, and its siblings resolve to their published releases.
  work="$(mktemp -d "$TOOLS_CACHE/.staging-etcd.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    go mod init ipp-tools/etcd >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$version" >&2
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o etcd go.etcd.io/etcd/server/v3 >&2
  )
  mkdir -p "$dir"
  mv "$work/etcd" "$dir/etcd"
fi
echo "$dir/etcd"

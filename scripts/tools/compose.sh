#!/usr/bin/env bash
# Builds the Docker Compose CLI from its Go module at a pinned version into the tools cache, once; prints the
# binary's path. Standalone, it behaves as `docker compose` (`docker-compose up -d --wait` = `docker compose up -d --wait`).
#   COMPOSE_VERSION overrides the pin (the package list marks v5.7.x as needing a newer Go than this machine's).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

version="${COMPOSE_VERSION:-v5.6.0}"
dir="$TOOLS_CACHE/compose-$version"
binary="$dir/docker-compose"
hold_lock "compose-$version"
if [ ! -x "$binary" ]; then
  echo "building docker compose $version from github.com/docker/compose/v5/cmd" >&2
  # Its go.mod has exclude and replace directives, which `go install …@version` refuses: build in its own tree.
  source_dir="$(go_module_dir github.com/docker/compose/v5 "$version")"
  mkdir -p "$dir"
  # The version compose reports (`docker-compose version`) is set at link time, as its Makefile does.
  (cd "$source_dir" && GOFLAGS=-buildvcs=false go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$version" \
    -o "$binary.partial" ./cmd) >&2
  mv "$binary.partial" "$binary"
fi
echo "$binary"

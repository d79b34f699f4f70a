#!/usr/bin/env bash
# Prints the path of compose-config (./compose-config: compose-go's loader, as `docker compose config`
# runs it), built once per version of its sources into the tools cache.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source_dir="$(cd "$(dirname "$0")/compose-config" && pwd)"
digest="$(cat "$source_dir/go.mod" "$source_dir/go.sum" "$source_dir/main.go" | sha256sum | cut -c1-12)"
target="$TOOLS_CACHE/compose-config-$digest/compose-config"
if [ ! -x "$target" ]; then
  echo "building compose-config from $source_dir" >&2
  mkdir -p "$(dirname "$target")"
  (cd "$source_dir" && GOFLAGS=-buildvcs=false go build -o "$target.partial" .) >&2
  mv "$target.partial" "$target"
fi
echo "$target"

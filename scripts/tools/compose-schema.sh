#!/usr/bin/env bash
# Prints the path of the Compose specification JSON schema, taken from the compose-go module (the
# library docker compose itself validates with) at a pinned version.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version=v2.16.2
target="$TOOLS_CACHE/compose-spec-$version/compose-spec.json"
if [ ! -s "$target" ]; then
  source_dir="$(go_module_dir github.com/compose-spec/compose-go/v2 "$version")"
  mkdir -p "$(dirname "$target")"
  cp "$source_dir/schema/compose-spec.json" "$target.partial"
  mv "$target.partial" "$target"
fi
echo "$target"

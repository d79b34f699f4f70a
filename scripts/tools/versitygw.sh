#!/usr/bin/env bash
# Builds versitygw (an S3-compatible gateway; its posix backend serves a directory) from its Go module at a
# pinned version into the tool cache, once; prints the binary's path. The storage tests start it per file.
# Usage: scripts/tools/versitygw.sh   (VERSITYGW_VERSION overrides the pin)
set -euo pipefail
cd "$(dirname "$0")"
source lib.sh

command -v go >/dev/null || { echo "versitygw.sh: Go is needed to build versitygw" >&2; exit 1; }
go_tool versitygw "${VERSITYGW_VERSION:-v1.8.0}" github.com/versity/versitygw/cmd/versitygw

#!/usr/bin/env bash
# Builds CoreDNS (the cluster DNS of scripts/cluster.sh) from its Go module at a pinned version into the
# tools cache, once; prints the binary's path. COREDNS_VERSION overrides the pin.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
CGO_ENABLED=0 go_tool coredns "${COREDNS_VERSION:-v1.15.0}" github.com/coredns/coredns

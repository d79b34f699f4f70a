#!/usr/bin/env bash
# Prints the path of a helm binary at the pinned version, built from its Go module once per machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
go_tool helm v3.22.0 helm.sh/helm/v3/cmd/helm

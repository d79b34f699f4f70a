#!/usr/bin/env bash
# Prints the path of a kubeconform binary at the pinned version, built from its Go module once per machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
go_tool kubeconform v0.8.0 github.com/yannh/kubeconform/cmd/kubeconform

#!/usr/bin/env bash
# Prints the directory of KEDA's CustomResourceDefinitions (ScaledObject, ScaledJob, TriggerAuthentication…)
# as its Go module ships them (config/crd/bases), so a cluster without KEDA can accept the chart's ScaledObject.
#   KEDA_VERSION overrides the pin: v2.21.x needs a newer Go than this machine's; v2.20.2 is the newest it takes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
echo "$(go_module_dir github.com/kedacore/keda/v2 "${KEDA_VERSION:-v2.20.2}")/config/crd/bases"

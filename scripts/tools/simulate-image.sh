#!/usr/bin/env bash
# Simulates building and running one deployable's image without Docker (see simulate-image.ts).
#   usage: bash scripts/tools/simulate-image.sh <gateway|product|upload|health|image-worker> [--keep]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx --no-install node scripts/tools/simulate-image.ts "$@"

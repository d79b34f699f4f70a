#!/usr/bin/env bash
# Prints a directory of strict JSON schemas, one per Kubernetes kind (kubeconform's file naming), made
# offline from the OpenAPI spec in the k8s.io/kubernetes module, plus KEDA's ScaledObject from its CRD.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kubernetes_version=v1.34.4
keda_version=v2.21.0
target="$TOOLS_CACHE/kubernetes-schemas-$kubernetes_version-keda-$keda_version"
if [ ! -f "$target/.complete" ]; then
  echo "converting the Kubernetes $kubernetes_version OpenAPI spec into JSON schemas" >&2
  kubernetes_dir="$(go_module_dir k8s.io/kubernetes "$kubernetes_version")"
  keda_dir="$(go_module_dir github.com/kedacore/keda/v2 "$keda_version")"
  rm -rf "$target" && mkdir -p "$target"
  node "$(dirname "$0")/openapi-to-json-schemas.mjs" "$target" \
    "$kubernetes_dir/api/openapi-spec/swagger.json" \
    "$keda_dir/config/crd/bases/keda.sh_scaledobjects.yaml"
  touch "$target/.complete"
fi
echo "$target"

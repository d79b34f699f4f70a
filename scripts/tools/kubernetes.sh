#!/usr/bin/env bash
# Builds the Kubernetes node and control-plane programs (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, kubectl) from the Go module proxy at a pinned release into the tools
# cache, once; prints the directory that holds them.
#   KUBERNETES_VERSION overrides the pin. 1.37 is the last release whose kubelet still falls back to the CRI
#   call Debian's containerd 1.6 lacks (the fallback is marked for removal in 1.38).
# Cold: about 20 minutes on 2 busy cores; with a warm Go build cache under a minute.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

version="${KUBERNETES_VERSION:-v1.37.2}"
dir="$TOOLS_CACHE/kubernetes-$version"
programs=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

built() {
  local program
  for program in "${programs[@]}"; do [ -x "$dir/$program" ] || return 1; done
}

hold_lock "kubernetes-$version"
if ! built; then
  echo "building Kubernetes $version (${programs[*]}) from k8s.io/kubernetes" >&2
  # k8s.io/kubernetes requires its staging modules (k8s.io/api, client-go, …) at v0.0.0 and replaces them with
  # directories of its own repository, which `go install …@version` refuses. A wrapper module requires it and
  # replaces each staging module with its published release instead (v1.X.Y ↔ v0.X.Y).
  staging_version="v0.${version#v1.}"
  kubernetes_dir="$(go_module_dir k8s.io/kubernetes "$version")"
  work="$(mktemp -d "$TOOLS_CACHE/.staging-kubernetes.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  {
    echo "module ipp-tools/kubernetes"
    echo
    sed -n 's/^go \(.*\)$/go \1/p' "$kubernetes_dir/go.mod"
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*$#replace \1 => \1 '"$staging_version"'#p' \
      "$kubernetes_dir/go.mod"
  } >"$work/go.mod"
  # The version the programs report (and kubelet registers with) is set at link time, as Kubernetes' build does.
  minor="${version#v1.}"
  minor="${minor%%.*}"
  ldflags="-s -w"
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $package.gitVersion=$version -X $package.gitMajor=1 -X $package.gitMinor=$minor"
    ldflags+=" -X $package.gitTreeState=clean -X $package.buildDate=1970-01-01T00:00:00Z"
  done
  (
    cd "$work"
    packages=()
    for program in "${programs[@]}"; do packages+=("k8s.io/kubernetes/cmd/$program"); done
    # go get (without -u) adds what the packages import at the versions Kubernetes' own go.mod pins.
    go get "${packages[@]/%/@$version}" >&2
    mkdir -p out
    CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "$ldflags" -o out/ "${packages[@]}" >&2
  )
  mkdir -p "$dir"
  for program in "${programs[@]}"; do mv "$work/out/$program" "$dir/$program"; done
fi
echo "$dir"

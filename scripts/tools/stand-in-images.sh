#!/usr/bin/env bash
# Builds, as local test fixtures, the third-party images the compose files and the k8s overlays name (no registry
# is reachable here), tagged with those exact names; prints each name with what stands in for it. Idempotent: an
# image is rebuilt only when its recipe (stand-ins/<name>.Containerfile and its entrypoint) changes.
#   postgres   Debian's postgresql-15          rabbitmq  Debian's rabbitmq-server 3.10 + management
#   nginx      Debian's nginx 1.22             redis     Debian's redis-server 7.0
#   jaegertracing/jaeger  Jaeger from its Go module at the release the image names (scripts/tools/jaeger.sh)
# Needs the debian:bookworm-slim stand-in (scripts/tools/base-images.sh). Arguments, if any, name the only
# kinds to build (e.g. `stand-in-images.sh postgres redis`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
repository="$(cd "$here/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(bash "$here/podman.sh")}"
bash "$here/base-images.sh" >/dev/null

# Jaeger 2.x releases are built from the Go module's v1.(x+63) tags: 2.11.0 is v1.74.0, 2.12.0 is v1.75.0.
jaeger_module_version() {
  local minor="${1#2.}"
  minor="${minor%%.*}"
  echo "v1.$((minor + 63)).0"
}

# Every image a compose file or a kustomize overlay names that is not built from this repository.
third_party() {
  grep -hoE '^\s+image: [^$ ]+$' "$repository"/docker-compose*.yml "$repository"/k8s/overlays/*/*.yaml |
    awk '{ print $2 }' | sort -u
}

fixture_of() { podman image inspect --format '{{ index .Labels "ipp.fixture" }}' "$1" 2>/dev/null || true; }

for image in $(third_party); do
  repo="${image%%:*}"
  tag="${image#*:}"
  kind="${repo##*/}"
  [ "$#" -eq 0 ] || [[ " $* " == *" $kind "* ]] || continue
  recipe="$here/stand-ins/$kind.Containerfile"
  # Optional services (a compose profile, e.g. s3) may have none: `up` of their profile then says so.
  [ -f "$recipe" ] || { echo "no local stand-in for $image (stand-ins/$kind.Containerfile): not built" >&2 && continue; }
  context="$(mktemp -d "$TOOLS_CACHE/.stand-in.XXXXXX")"
  find "$here/stand-ins" -maxdepth 1 -name "$kind[.-]*" -exec cp {} "$context/" \;
  args=()
  if [ "$kind" = jaeger ]; then
    module="$(jaeger_module_version "$tag")"
    cp "$(JAEGER_VERSION="$module" bash "$here/jaeger.sh")" "$context/jaeger"
    args=(--build-arg "VERSION=$tag")
  fi
  key="$kind-$(cat "$context"/* | sha256sum | cut -c1-12)"
  full="docker.io/$repo:$tag"
  [ "$repo" != "$kind" ] || full="docker.io/library/$repo:$tag"
  if [ "$(fixture_of "$full")" != "$key" ]; then
    echo "building the stand-in for $image" >&2
    podman build --pull=never --format docker --quiet --file "$context/$kind.Containerfile" \
      --build-arg "IMAGE=$image" --build-arg "FIXTURE=$key" "${args[@]}" --tag "$full" "$context" >&2
  fi
  rm -rf "$context"
  echo "$image $(podman image inspect --format '{{ index .Labels "org.opencontainers.image.version" }}' "$full")"
done

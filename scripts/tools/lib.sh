# Shared by the tool scripts: where pinned tools live, and how to build a Go tool there once.
# Every script prints only the path of what it provides on stdout; progress goes to stderr.
TOOLS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ipp-tools"

# go_tool NAME VERSION PACKAGE: prints the binary's path, building it with `go install` when missing.
go_tool() {
  local name="$1" version="$2" package="$3"
  local dir="$TOOLS_CACHE/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    echo "building $name $version from $package" >&2
    local staging
    staging="$(mktemp -d "$TOOLS_CACHE/.staging-$name.XXXXXX")"
    GOBIN="$staging" GOFLAGS=-buildvcs=false go install "$package@$version" >&2
    mkdir -p "$dir"
    mv "$staging/$name" "$dir/$name"
    rmdir "$staging"
  fi
  echo "$dir/$name"
}

# go_module_dir MODULE VERSION: downloads a Go module (source only) and prints its directory.
go_module_dir() {
  go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

mkdir -p "$TOOLS_CACHE"

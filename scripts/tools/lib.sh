# Shared by the tool scripts: where pinned tools live, and how to build a Go tool there once.
# Every script prints only the path of what it provides on stdout; progress goes to stderr.
TOOLS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ipp-tools"

# The module proxy or the checksum database sometimes drops a connection (a fresh machine's first test run
# failed so): a go command that fetches is run again, up to 3 times. What it already fetched and compiled is
# cached, so a real error fails again quickly.
go() {
  if [[ "$1" != install && "$1" != build && "$1" != get && "$1 ${2:-}" != "mod download" ]]; then
    command go "$@"
    return
  fi
  local attempt
  for attempt in 1 2; do
    command go "$@" && return 0
    echo "go $1 failed (attempt $attempt of 3); trying again" >&2
    sleep 5
  done
  command go "$@"
}

# hold_lock NAME: waits while another process builds NAME, then holds its lock until this script exits, so
# two test runs, or a test run beside .ci/run, build a tool once instead of side by side.
hold_lock() {
  local fd
  exec {fd}>"$TOOLS_CACHE/.lock-$1"
  flock "$fd"
}

# go_tool NAME VERSION PACKAGE: prints the binary's path, building it with `go install` when missing.
go_tool() {
  local name="$1" version="$2" package="$3"
  local dir="$TOOLS_CACHE/$name-$version"
  hold_lock "$name-$version"
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
  go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' | head -n 1
}

mkdir -p "$TOOLS_CACHE"

#!/usr/bin/env bash
# Proves the README's two commands on a fresh machine: a fresh clone of the committed HEAD and an empty
# tool cache (XDG_CACHE_HOME), then `npm start` until the platform says it runs, Ctrl-C, and `npm test`.
# With --remove-nginx it also uninstalls nginx first (the test command must install it again).
# Cold, on 2 busy cores, it takes about 30 minutes: most of it is building the pinned Go tools.
# FRESH_CACHE_DIR names the (empty) tool cache to use instead of a temporary one, so that a fresh machine's
# first check also fills the cache that later runs use; it is refused if it already holds tools.
set -euo pipefail
repo="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
work="$(mktemp -d /tmp/ipp-fresh.XXXXXX)"
export XDG_CACHE_HOME="${FRESH_CACHE_DIR:-$work/cache}"
if [[ -n "$(ls -A "$XDG_CACHE_HOME/ipp-tools" 2>/dev/null)" ]]; then
  echo "$XDG_CACHE_HOME/ipp-tools is not empty: not a fresh machine's tool cache" >&2
  exit 1
fi
mkdir -p "$XDG_CACHE_HOME"
if [[ "${1:-}" == "--remove-nginx" ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq nginx-light nginx-common >/dev/null 2>&1 || true
fi
git clone -q "$repo" "$work/clone"
cd "$work/clone"
echo "fresh clone of $(git rev-parse --short HEAD) in $work/clone, tool cache $XDG_CACHE_HOME"

started=$SECONDS
# Its own process group, so that the Ctrl-C below reaches every process as a terminal's does (a background
# job of a script ignores SIGINT, and npm does not pass one on).
setsid npm start >"$work/start.log" 2>&1 &
pid=$!
until grep -q 'Platform running' "$work/start.log"; do
  if ! kill -0 "$pid" 2>/dev/null || (( SECONDS - started > 600 )); then
    echo "npm start did not announce the platform:" >&2
    tail -40 "$work/start.log" >&2
    exit 1
  fi
  sleep 2
done
echo "npm start: platform running after $(( SECONDS - started )) s"
kill -INT -- -"$pid"
code=0
wait "$pid" || code=$?
# npm exits 130 after a Ctrl-C, as in a terminal; what counts is that every service stopped by itself.
if (( code != 0 && code != 130 )) || grep -q 'exited unexpectedly\|giving up' "$work/start.log"; then
  echo "npm start did not stop cleanly on Ctrl-C (exit code $code):" >&2
  tail -40 "$work/start.log" >&2
  exit 1
fi

started=$SECONDS
npm test
echo "npm test: passed in $(( SECONDS - started )) s"
rm -rf "$work"

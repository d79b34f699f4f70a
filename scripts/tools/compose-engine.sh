#!/usr/bin/env bash
# A Docker engine for the Compose CLI without Docker or systemd: podman's Docker-compatible API on a socket,
# and the periodic healthchecks podman leaves to systemd timers (without them no container ever turns
# healthy and `docker compose up --wait` never returns). Runs until SIGTERM or SIGINT, then stops both.
#   bash scripts/tools/compose-engine.sh /run/ipp-podman.sock &
#   export DOCKER_HOST=unix:///run/ipp-podman.sock
# Healthchecks run for the containers compose made (label com.docker.compose.project), each at its own
# interval, every 5 s while it is still starting (Docker's start_interval), never two at once for one container.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
socket="${1:?usage: compose-engine.sh SOCKET_PATH}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(bash "$here/podman.sh")}"

rm -f "$socket"
podman system service --time=0 "unix://$socket" &
service=$!
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -f "$socket"' EXIT
trap 'exit 0' TERM INT

declare -A interval next running
seconds() { # a Go duration as podman prints it (1m30s, 10s, 500ms) in whole seconds, at least 1
  local total
  total="$(echo "$1" | awk '{ s = 0; while (match($0, /[0-9.]+(ms|h|m|s)/)) { v = substr($0, RSTART, RLENGTH); n = v + 0
    if (v ~ /ms$/) n /= 1000; else if (v ~ /h$/) n *= 3600; else if (v ~ /m$/) n *= 60; s += n; $0 = substr($0, RSTART + RLENGTH) }
    printf "%d", s }')"
  echo $((total > 0 ? total : 1))
}

while kill -0 "$service" 2>/dev/null; do
  now="$(date +%s)"
  while read -r id status; do
    [ -n "$id" ] || continue
    if [ -z "${interval[$id]:-}" ]; then
      interval[$id]="$(seconds "$(podman inspect --format '{{ .Config.Healthcheck.Interval }}' "$id" 2>/dev/null || echo 30s)")"
      next[$id]=0
    fi
    if [ -n "${running[$id]:-}" ] && kill -0 "${running[$id]}" 2>/dev/null; then continue; fi
    [ "$now" -ge "${next[$id]}" ] || continue
    podman healthcheck run "$id" >/dev/null 2>&1 &
    running[$id]=$!
    if [[ "$status" == *starting* ]]; then next[$id]=$((now + 5)); else next[$id]=$((now + ${interval[$id]})); fi
  done < <(podman ps --filter label=com.docker.compose.project --format '{{ .ID }} {{ .Status }}' 2>/dev/null |
    grep -E '\((starting|healthy|unhealthy)\)$' || true)
  sleep 1
done

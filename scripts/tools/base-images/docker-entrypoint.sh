#!/bin/sh
# The official node image's entrypoint: run the command with node when the first argument is an
# option or not a command (so `docker run IMAGE script.js` and `docker run IMAGE --version` work).
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"

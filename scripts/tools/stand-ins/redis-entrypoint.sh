#!/bin/sh
# The official redis image builds redis with protected mode off (other containers connect without a
# password): Debian's is on, so the stand-in turns it off for any redis-server command.
set -e
if [ "$1" = redis-server ]; then
  shift
  exec redis-server "$@" --protected-mode no
fi
exec "$@"

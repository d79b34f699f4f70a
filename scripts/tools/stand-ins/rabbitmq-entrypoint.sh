#!/bin/bash
# As the official image: RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS become the user made on first boot,
# allowed to connect from other hosts.
set -euo pipefail
{
  echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
  echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
  echo 'loopback_users = none'
  echo 'listeners.tcp.default = 5672'
  echo 'management.tcp.port = 15672'
} >"$RABBITMQ_CONFIG_FILE"
exec "$@"

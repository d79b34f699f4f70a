#!/bin/bash
# What the official nginx image's entrypoint does before starting nginx (its 15-local-resolvers.envsh and
# 20-envsubst-on-templates.sh): with NGINX_ENTRYPOINT_LOCAL_RESOLVERS set, NGINX_LOCAL_RESOLVERS holds the
# nameservers of /etc/resolv.conf; each /etc/nginx/templates/*.template becomes NGINX_ENVSUBST_OUTPUT_DIR
# (default /etc/nginx/conf.d)/<name> with the environment's variables substituted, others left alone.
set -euo pipefail
if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
  if [ -n "${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}" ]; then
    NGINX_LOCAL_RESOLVERS="$(awk 'BEGIN { ORS = " " } $1 == "nameserver" { print ($2 ~ ":") ? "[" $2 "]" : $2 }' /etc/resolv.conf)"
    export NGINX_LOCAL_RESOLVERS="${NGINX_LOCAL_RESOLVERS% }"
  fi
  templates="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
  output="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
  defined="$(printf '${%s} ' $(env | cut -d= -f1))"
  for template in "$templates"/*.template; do
    [ -f "$template" ] || continue
    name="$(basename "$template" .template)"
    envsubst "$defined" < "$template" > "$output/$name"
    echo "$0: rendered $template to $output/$name"
  done
fi
exec "$@"

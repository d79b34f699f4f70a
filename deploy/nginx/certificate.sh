#!/usr/bin/env bash
# Makes a self-signed certificate for docker-compose.prod.yml's nginx: fullchain.pem and privkey.pem in
# SSL_DIR (default ./ssl), for the names given (default localhost), valid for DAYS (default 365). For a
# machine others reach, use a certificate from your CA (e.g. Let's Encrypt) in the same two files instead.
#   bash deploy/nginx/certificate.sh images.example.com
set -euo pipefail
directory="${SSL_DIR:-./ssl}"
names=("${@:-localhost}")
alt="$(printf 'DNS:%s,' "${names[@]}")IP:127.0.0.1"
mkdir -p "$directory"
openssl req -x509 -newkey rsa:2048 -nodes -days "${DAYS:-365}" -subj "/CN=${names[0]}" \
  -addext "subjectAltName=$alt" -keyout "$directory/privkey.pem" -out "$directory/fullchain.pem" 2>/dev/null
# nginx's master reads the key as root; the files stay unreadable to other users of this machine.
chmod 600 "$directory/privkey.pem"
echo "$directory/fullchain.pem"

#!/usr/bin/env bash
# Development TLS certificates: a CA and one server certificate for localhost and 127.0.0.1, signed by it, for the
# nats-server (AM_NATS_TLS_CERT/KEY, clients trust AM_NATS_TLS_CA), the gRPC gateway (AM_GATEWAY_TLS_CERT/KEY) and
# the console (AM_CONSOLE_TLS_CERT/KEY). Never for production: the CA's key sits beside the certificates.
# usage: scripts/dev-certs.sh [dir]   (default: <cache>/dev-certs; kept when present, so it is idempotent)
set -euo pipefail
CACHE="${AM_CACHE_DIR:-$HOME/.cache/alphamind}"
CACHE="${CACHE/#\~/$HOME}"
DIR="${1:-$CACHE/dev-certs}"
command -v openssl >/dev/null 2>&1 || { echo "[dev-certs] missing prerequisite: openssl ('apt-get install openssl')" >&2; exit 3; }
mkdir -p "$DIR"
chmod 700 "$DIR"
cd "$DIR"
if [ -s ca.pem ] && [ -s server.pem ] && [ -s server-key.pem ]; then
  echo "[dev-certs] certificates present in $DIR"
else
  umask 077
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=AlphaMind development CA" \
    -keyout ca-key.pem -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server-key.pem -out server.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 -extfile server.ext \
    -out server.pem 2>/dev/null
  rm -f server.csr server.ext ca.srl
  echo "[dev-certs] made a CA and a server certificate (localhost, 127.0.0.1) in $DIR"
fi
cat <<HINT
  AM_NATS_TLS_CERT=$DIR/server.pem AM_NATS_TLS_KEY=$DIR/server-key.pem AM_NATS_TLS_CA=$DIR/ca.pem
  AM_GATEWAY_TLS_CERT=$DIR/server.pem AM_GATEWAY_TLS_KEY=$DIR/server-key.pem
  AM_CONSOLE_TLS_CERT=$DIR/server.pem AM_CONSOLE_TLS_KEY=$DIR/server-key.pem
HINT

#!/usr/bin/env bash
# Idempotent set-up: npm packages, a pinned nats-server and the pinned QuestDB jar, cached per user.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.env
CACHE="${AM_CACHE_DIR:-$HOME/.cache/alphamind}"
CACHE="${CACHE/#\~/$HOME}"
mkdir -p "$CACHE/bin" "$CACHE/questdb"
step() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
need() { # need CMD "how to get it"
  command -v "$1" >/dev/null 2>&1 || { echo "[setup] missing prerequisite: $1 — $2" >&2; exit 3; }
}

need node "install Node.js 20 or newer (https://nodejs.org or your package manager)"
need npm "npm comes with Node.js"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "[setup] Node.js $(node -v) is too old: AlphaMind needs 20 or newer" >&2; exit 3; }

lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ -f node_modules/.am-lock-hash ] && [ "$(cat node_modules/.am-lock-hash)" = "$lock_hash" ]; then
  step "npm packages up to date"
else
  step "npm ci (installing packages from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.am-lock-hash
fi

nats_fits() { "$1" --version 2>/dev/null | grep -q "v${NATS_SERVER_VERSION}\$"; }
NATS_BIN="$CACHE/bin/nats-server-$NATS_SERVER_VERSION"
if [ -x "$NATS_BIN" ] && nats_fits "$NATS_BIN"; then
  step "nats-server $NATS_SERVER_VERSION cached at $NATS_BIN"
elif command -v nats-server >/dev/null && nats_fits "$(command -v nats-server)"; then
  ln -sf "$(command -v nats-server)" "$NATS_BIN"
  step "nats-server $NATS_SERVER_VERSION found on PATH"
else
  need go "install Go 1.24+ (https://go.dev/dl or 'apt-get install golang'): nats-server is built with go install"
  step "building nats-server v$NATS_SERVER_VERSION with go install (a minute or two)"
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/nats-io/nats-server/v2@v$NATS_SERVER_VERSION"
  mv "$tmp/nats-server" "$NATS_BIN"
  rmdir "$tmp"
  nats_fits "$NATS_BIN" || { echo "[setup] built nats-server does not report v$NATS_SERVER_VERSION" >&2; exit 4; }
fi

QDB_JAR="$CACHE/questdb/questdb-$QUESTDB_VERSION.jar"
if [ -s "$QDB_JAR" ]; then
  step "QuestDB $QUESTDB_VERSION cached at $QDB_JAR"
else
  need mvn "install Maven ('apt-get install maven'): the QuestDB jar is fetched from Maven Central"
  step "fetching org.questdb:questdb:$QUESTDB_VERSION with Maven"
  mvn -q -B dependency:copy -Dartifact="org.questdb:questdb:$QUESTDB_VERSION" -DoutputDirectory="$CACHE/questdb" -Dmdep.overWriteIfNewer=true
  [ -s "$QDB_JAR" ] || { echo "[setup] Maven did not produce $QDB_JAR" >&2; exit 4; }
fi

# QuestDB's jar is built for Java 17 (class file 61); prefer the newest JDK on the machine.
java_major() { "$1" -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p'; }
JAVA_BIN=""
for cand in $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV) $(command -v java || true); do
  major=$(java_major "$cand" || true)
  if [ -n "$major" ] && [ "$major" -ge 17 ]; then JAVA_BIN="$cand"; break; fi
done
[ -n "$JAVA_BIN" ] || { echo "[setup] missing prerequisite: Java 17+ — 'apt-get install openjdk-17-jre-headless'" >&2; exit 3; }
echo "$JAVA_BIN" > "$CACHE/java-path"
step "Java for QuestDB: $JAVA_BIN (Java $(java_major "$JAVA_BIN"))"
# The console's browser test drives Debian's Chromium through playwright-core, which brings no browser of its own.
CHROMIUM="${CHROMIUM_BIN:-}"
[ -n "$CHROMIUM" ] || CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ]; then
  step "Chromium for browser tests: $CHROMIUM"
elif command -v apt-get >/dev/null 2>&1; then
  step "installing Debian's chromium for the console's browser test (apt-get, a few minutes)"
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo"
  if $as_root apt-get update -q && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q chromium; then
    step "Chromium for browser tests: /usr/bin/chromium"
  else
    echo "[setup] warning: 'apt-get install chromium' failed: the console's browser test will be skipped" >&2
  fi
else
  echo "[setup] warning: no chromium and no apt-get: install Chromium (or set CHROMIUM_BIN=/path/to/chromium), else the console's browser test is skipped" >&2
fi
# Training jobs (scripts/research.ts train) run Python from a per-user venv; the platform runs without it.
if command -v python3 >/dev/null 2>&1 && python3 -c "import venv, ensurepip" 2>/dev/null; then
  step "$(AM_PYTHON_VENV="$CACHE/python" bash scripts/models/setup-python.sh)"
else
  echo "[setup] warning: no python3 with venv ('apt-get install python3-venv'): training jobs and their tests are skipped" >&2
fi
# The nats-server has no anonymous user: every process connects with its role's password (nats.conf).
step "$(node --import tsx scripts/nats-credentials.ts)"
step "ready"

#!/usr/bin/env bash
# Lighthouse on the PWA as signed-in phones see it: a leader's inbox, a document view, her
# dashboard, the work calendar and the search; a specialist's new-draft form, a head's
# assignments list; mobile form factor, default
# (simulated) throttling = slow 4G + 4x CPU.
#
#   bench/pwa_lighthouse.sh              # exit 1 when a target is missed
#
# Builds pwa/dist when missing or older than pwa/src; installs lighthouse (12.x: the
# 13.x line needs Node ≥ 22.19) and chrome-launcher into bench/.lighthouse (ignored by
# git); starts gunicorn on a free port with a temporary VAR_DIR (db-upgrade, seed-demo,
# dev-pki: the demo decisions waiting for phochutich1), then runs bench/pwa_lighthouse.mjs.
# Chrome is CHROME_PATH (default /usr/bin/chromium, Debian's; never a downloaded one).
# Prints the three category scores per page, the JS each page loaded (gzip; the inbox's is
# the sign-in + inbox code), the whole app's JS (every role's screens), FCP/LCP (LCP of
# the inbox = its first render), and the bytes of a page image at 390 px @2x; JSON
# reports are kept in bench/results/lighthouse/.
#
# Targets: performance ≥ 95, accessibility 100, best practices 100 on every page; sign-in
# + inbox JS ≤ 40 KB gzip, the whole app ≤ 150 KB gzip; page image ≤ 150 KB.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
LH_DIR="$ROOT/bench/.lighthouse"
LH_VERSION="${LIGHTHOUSE_VERSION:-12.8.2}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
OUT="$ROOT/bench/results/lighthouse"

[ -x "$CHROME_PATH" ] || { echo "Chromium is needed: $CHROME_PATH is missing" >&2; exit 2; }
command -v npm >/dev/null || { echo "npm is needed" >&2; exit 2; }

# -- the app ------------------------------------------------------------------------------
cd "$ROOT/pwa"
if [ ! -f dist/index.html ] || [ -n "$(find src index.html vite.config.js -newer dist/index.html -print -quit)" ]; then
  [ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error
  npm run build >/dev/null
fi

# -- lighthouse ---------------------------------------------------------------------------
if [ ! -f "$LH_DIR/node_modules/lighthouse/package.json" ]; then
  mkdir -p "$LH_DIR"
  printf '*\n' >"$LH_DIR/.gitignore"
  printf '{"name":"trinhky-lighthouse","private":true,"type":"module"}\n' >"$LH_DIR/package.json"
  (cd "$LH_DIR" && npm install --no-audit --no-fund --loglevel=error "lighthouse@$LH_VERSION" chrome-launcher)
fi

# -- the server ---------------------------------------------------------------------------
VAR="$(mktemp -d -t trinhky-lighthouse.XXXXXX)"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"
export FLASK_APP="backend.app:create_app" VAR_DIR="$VAR" DATABASE_URL="sqlite:///$VAR/app.db"
export PWA_DIST="$ROOT/pwa/dist" TRINHKY_ENV=development REDIS_URL="" WEB_CONCURRENCY=1
export DEV_PKI_PORT="$(free_port)"
GUNICORN_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true; fi
  rm -rf "$VAR"
}
trap cleanup EXIT

cd "$ROOT"
for cmd in db-upgrade seed-demo dev-pki; do
  "$PY" -m flask "$cmd" >"$VAR/$cmd.log" 2>&1 || { cat "$VAR/$cmd.log" >&2; exit 2; }
done
"$(dirname "$PY")/gunicorn" --bind "127.0.0.1:$PORT" --workers 1 --threads 4 \
  "backend.app:create_app()" >"$VAR/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 150); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$VAR/gunicorn.log" >&2; exit 2; }
  sleep 0.2
done

# -- lighthouse ---------------------------------------------------------------------------
mkdir -p "$OUT"
LIGHTHOUSE_DIR="$LH_DIR" LIGHTHOUSE_OUT="$OUT" node "$ROOT/bench/pwa_lighthouse.mjs" "http://127.0.0.1:$PORT"

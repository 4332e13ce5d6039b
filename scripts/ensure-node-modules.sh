#!/bin/sh
# Runs before `npm test` and `npm run demo` so that each works on a fresh clone: installs the
# locked dependencies when node_modules is missing or older than package-lock.json.
set -e
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] npm ci" >&2
  npm ci --no-audit --no-fund
fi

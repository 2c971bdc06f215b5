#!/usr/bin/env bash
# Runs the civicgrid demo city on a fresh machine: fetches the web assets
# from npm, builds the binary and serves a deterministic demo city on the
# embedded SQLite database (./civicgrid.db), printing one login per role.
# Extra arguments go to `civicgrid demo`, e.g. ./scripts/demo.sh --addr :8080
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
./scripts/assets.sh
mkdir -p bin
go build -o bin/civicgrid ./cmd/civicgrid
exec ./bin/civicgrid demo "$@"

#!/usr/bin/env bash
# Runs civicgrid's whole test suite on a fresh machine: installs what is
# missing (Debian's postgresql and chromium, npm packages for the web
# assets, Go modules), starts a throwaway PostgreSQL on a loopback port, and
# runs vet and every test with PostgreSQL and the browser test required.
# Usage: scripts/test.sh [go test flags…]   e.g. scripts/test.sh -run Scope ./internal/api/
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }

# --- system packages ------------------------------------------------------
pg_bin=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
missing=()
[ -n "$pg_bin" ] || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} with apt-get"
  if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
fi
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"

# --- web assets and Go modules --------------------------------------------
log "web assets (npm ci)"
./scripts/assets.sh
log "Go modules"
go mod download

# --- a throwaway PostgreSQL -------------------------------------------------
pg_dir=$(mktemp -d /tmp/civicgrid-pg.XXXXXX)
port=$(( 20000 + RANDOM % 20000 ))
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
stop_pg() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
log "starting PostgreSQL ($("$pg_bin/postgres" --version)) on 127.0.0.1:$port"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Durability settings are irrelevant for a throwaway test server.
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null

export CIVICGRID_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
export CIVICGRID_REQUIRE_PG=1
export CIVICGRID_CHROMIUM="$(command -v chromium)"
export CIVICGRID_REQUIRE_BROWSER=1

log "go vet"
go vet ./...
log "go test"
if [ $# -eq 0 ]; then set -- ./...; fi
out="$pg_dir/go-test.log"
set +e
# The whole suite takes about 10 minutes on a quiet 2-core machine; the
# timeout only catches a hang, and leaves room for a busy one (the browser
# and demo tests of cmd/civicgrid ran 20 minutes beside other builds).
go test -count=1 -timeout 45m -v "$@" >"$out" 2>&1
status=$?
set -e
# Package results, then proof that the PostgreSQL and browser tests ran
# rather than skipped; on failure every line that is not a passing test.
grep -E '^(ok|FAIL|---|panic|\?)' "$out" | grep -v -- '--- PASS' || true
printf '\nsubtests passed on sqlite: %s, on postgres: %s; skipped: %s\n' \
  "$(grep -cE -- '--- PASS: .*/sqlite( |$)' "$out")" \
  "$(grep -cE -- '--- PASS: .*/postgres( |$)' "$out")" \
  "$(grep -cE -- '--- SKIP' "$out")"
grep -E -- '--- (PASS|SKIP): (TestBrowser|TestDemo)' "$out" || true
if [ $status -ne 0 ]; then
  log "failures"
  grep -vE '^(=== (RUN|PAUSE|CONT|NAME)|\s*--- PASS)' "$out"
fi
exit $status

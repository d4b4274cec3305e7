#!/usr/bin/env bash
# Seeds an example database in the stack's PostgreSQL.
#   scripts/stack/pg-seed.sh [--db NAME] [--size-mb N]
# Default: database from STACK_PG_DATABASE, small (a few MB). --size-mb 1024 gives ~1 GB.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${STACK_STATE_DIR:-$ROOT/.stack}"

die() { echo "[pg-seed] ERROR: $*" >&2; exit 1; }

main() {
  [[ -f "$STATE/env.sh" ]] || die "$STATE/env.sh missing: run scripts/stack/stack.sh up first"
  # shellcheck disable=SC1091
  source "$STATE/env.sh"
  local db="${STACK_PG_DATABASE}" size_mb=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --db) db="$2"; shift 2 ;;
      --size-mb) size_mb="$2"; shift 2 ;;
      SIZE_MB=*) size_mb="${1#SIZE_MB=}"; shift ;;
      *) die "unknown argument $1" ;;
    esac
  done
  size_mb="${SIZE_MB:-$size_mb}"
  local orders=5000 customers=1000 products=500
  if [[ "$size_mb" -gt 0 ]]; then
    # ~1.5 KB per order with its 4 items, payment and indexes
    orders=$(( size_mb * 1024 * 1024 / 1500 ))
    (( orders < 5000 )) && orders=5000
    customers=$(( orders / 5 )); products=$(( orders / 100 + 100 ))
  fi
  local pg="$STACK_PG_BIN"
  export PGHOST="$STACK_PG_HOST" PGPORT="$STACK_PG_PORT" PGUSER="$STACK_PG_USER" PGPASSWORD="$STACK_PG_PASSWORD"
  if ! "$pg/psql" -d postgres -Atqc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    PGUSER="$STACK_PG_SUPERUSER" PGPASSWORD="$STACK_PG_SUPERUSER_PASSWORD" \
      "$pg/psql" -d postgres -qc "CREATE DATABASE \"$db\" OWNER \"$STACK_PG_USER\"" >/dev/null
  fi
  local t0=$SECONDS
  "$pg/psql" -d "$db" -q -v customers="$customers" -v products="$products" -v orders="$orders" \
    -v note_bytes=200 -f "$HERE/pg-seed.sql" >/dev/null
  local size
  size="$("$pg/psql" -d "$db" -Atqc "select pg_size_pretty(pg_database_size(current_database()))")"
  echo "[pg-seed] $db: $orders orders, size $size, $((SECONDS - t0)) s"
}

main "$@"

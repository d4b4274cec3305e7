#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the backend tests: its own data dir under .stack/test-pg,
# 127.0.0.1 only, a generated password. Prints the connection string. Safe to run twice.
#   scripts/test-postgres.sh up|down
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
PORT=${SHIPSHAPE_TEST_PG_PORT:-55432}
DIR=$ROOT/.stack/test-pg
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
as_pg() { if [[ $(id -u) == 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

# As root the server runs as the postgres user, who may not reach the clone (under /root or a
# `mktemp -d` folder): then the cluster lives in /var/tmp/shipshape-test-pg-<hash> and
# .stack/test-pg links to it (as scripts/stack/stack.sh does for the stack's PostgreSQL).
if [[ $(id -u) == 0 && ! -L $DIR ]] && ! runuser -u postgres -- test -x "$(dirname "$DIR")" 2>/dev/null; then
  alt=/var/tmp/shipshape-test-pg-$(printf '%s' "$DIR" | md5sum | cut -c1-10)
  mkdir -p "$alt" "$(dirname "$DIR")"
  [[ -d $DIR && ! -L $DIR ]] && rm -rf "$DIR"
  ln -sfn "$alt" "$DIR"
fi
[[ -L $DIR ]] && DIR=$(readlink -f "$DIR")

up() {
  ensure_debs postgresql
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  mkdir -p "$DIR"
  [[ $(id -u) == 0 ]] && chown postgres "$DIR"
  if [[ ! -f $DIR/data/PG_VERSION ]]; then
    rm -rf "$DIR/data"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/password"
    chmod 644 "$DIR/password"
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=scram-sha-256 --pwfile="$DIR/password" >"$DIR/initdb.log" 2>&1 ||
      { tail -n 5 "$DIR/initdb.log" >&2; die "initdb failed for the test PostgreSQL"; }
  fi
  if ! as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    port_free "$PORT" || die "port $PORT is in use; set SHIPSHAPE_TEST_PG_PORT to a free port"
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=200 -c fsync=off" start >/dev/null ||
      { tail -n 10 "$DIR/server.log" >&2; die "the test PostgreSQL did not start (log: $DIR/server.log)"; }
  fi
  echo "postgresql://postgres:$(cat "$DIR/password")@127.0.0.1:$PORT"
}

down() {
  [[ -d $DIR/data && -n $BIN ]] || return 0
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in up) up ;; down) down ;; *) echo "usage: $0 up|down" >&2; exit 2 ;; esac

# shellcheck shell=bash
# PostgreSQL (sourced by stack.sh): the cluster under .stack/pg, its roles and seeded databases.

PG_DB="shipshape_demo"
PG_APP_USER="shipshape"
PG_DRILL_USER="shipshape_drill" # restore drills: CREATEDB and nothing more (docs/backup.md)
PG_DATABASES=("$PG_DB" payments orders legacy_billing) # each seeded with pg-seed.sql
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"

pg_run() { # run a PG binary as the postgres user when we are root (postgres refuses root)
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The directory PostgreSQL runs in. As root, PostgreSQL runs as the postgres user, who may
# not be able to reach .stack (e.g. a clone under /root or a mktemp -d folder); then the
# data lives in /var/tmp/shipshape-pg-<hash> and .stack/pg is a symlink to it.
pg_dir() {
  if [[ $(id -u) -ne 0 ]]; then mkdir -p "$STATE/pg"; echo "$STATE/pg"; return; fi
  if [[ ! -L "$STATE/pg" ]]; then
    mkdir -p "$STATE/pg"; chown postgres: "$STATE/pg"
    if runuser -u postgres -- test -w "$STATE/pg" 2>/dev/null; then echo "$STATE/pg"; return; fi
    rmdir "$STATE/pg" 2>/dev/null || rm -rf "${STATE:?}/pg"
  fi
  local alt
  alt="/var/tmp/shipshape-pg-$(printf '%s' "$STATE" | md5sum | cut -c1-10)"
  mkdir -p "$alt"; chown postgres: "$alt"; chmod 700 "$alt"
  ln -sfn "$alt" "$STATE/pg"
  echo "$alt"
}

start_postgres() {
  [[ -x "$PG_BIN/initdb" ]] || fail postgres "PostgreSQL binaries not found (run scripts/stack/build-tools.sh apt)"
  local dir data lf
  dir="$(pg_dir)"
  data="$dir/data"
  # the server writes its log itself, so it lives where the postgres user can write
  lf="$dir/postgres.log"
  ln -sfn "$lf" "$(logfile postgres)"
  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -rf "$data"
    local pw="$dir/.pw"
    (umask 077; secret pg-postgres-password >"$pw")
    [[ $(id -u) -eq 0 ]] && chown postgres: "$pw"
    pg_run "$PG_BIN/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$pw" -E UTF8 --no-locale \
      >"$lf" 2>&1 || { rm -f "$pw"; fail postgres "initdb failed"; }
    rm -f "$pw"
    cat >>"$data/postgresql.conf" <<EOF
# shipshape local stack
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 50
log_min_messages = warning
EOF
  fi
  sed -i "s/^port = .*/port = $PG_PORT/" "$data/postgresql.conf"
  check_port_free postgres
  touch "$lf"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$lf"
  pg_run setsid "$PG_BIN/pg_ctl" -D "$data" -l "$lf" -w -t 60 start >/dev/null 2>&1 9>&- || fail postgres "pg_ctl start failed"
  wait_for postgres 30 pg_ready
  pg_bootstrap
}

pg_super() { # psql ARGS... as the superuser, on the postgres database
  PGPASSWORD="$(secret pg-postgres-password)" "$PG_BIN/psql" -h $HOST -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_ready() { pg_super -Atqc 'select 1' | grep -q 1; }

pg_drill_role() { # the restore-drill login: CREATEDB and nothing more (a superuser is refused)
  pg_super -qv ON_ERROR_STOP=1 -v pw="$(secret pg-drill-password)" >/dev/null <<EOF
SELECT format('CREATE ROLE %I', '$PG_DRILL_USER') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_DRILL_USER') \\gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', '$PG_DRILL_USER', :'pw') \\gexec
EOF
}

pg_bootstrap() {
  [[ -f "$STATE/pg/.seeded" ]] && return 0
  local app_pw
  app_pw="$(secret pg-app-password)"
  pg_super -qv ON_ERROR_STOP=1 >/dev/null <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_APP_USER') THEN
    CREATE ROLE $PG_APP_USER LOGIN PASSWORD '$app_pw';
  END IF;
END \$\$;
EOF
  local db
  for db in "${PG_DATABASES[@]}"; do
    if ! pg_super -Atqc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      pg_super -qc "CREATE DATABASE $db OWNER $PG_APP_USER" >/dev/null
    fi
  done
  write_env
  for db in "${PG_DATABASES[@]}"; do
    STACK_STATE_DIR="$STATE" "$HERE/pg-seed.sh" --db "$db" >>"$(logfile postgres-seed)" 2>&1 \
      || { cat "$(logfile postgres-seed)" >&2; fail postgres "seeding $db failed"; }
  done
  touch "$STATE/pg/.seeded"
}

stop_postgres() {
  local data
  data="$(readlink -f "$STATE/pg" 2>/dev/null || echo "$STATE/pg")/data"
  [[ -f "$data/postmaster.pid" ]] || return 0
  if is_running postgres; then
    pg_run "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || {
      local pid; pid="$(read_pid postgres)"; kill -KILL "$pid" 2>/dev/null || true; }
    log "postgres stopped"
  else
    log "postgres: stale postmaster.pid, removing"
    rm -f "$data/postmaster.pid"
  fi
}

clean_pg() { # remove the data directory, also when it lives outside .stack
  if [[ -L "$STATE/pg" ]]; then
    local t
    t="$(readlink "$STATE/pg")"
    [[ "$t" == /var/tmp/shipshape-pg-* ]] && rm -rf "$t"
  fi
  rm -rf "${STATE:?}/pg"
}

#!/usr/bin/env bash
# Runs the backup CronJob's two scripts, exactly as `helm template` renders them, against a
# real PostgreSQL and an S3 API on 127.0.0.1: pg_dump -Fc and row counts in one snapshot →
# pg_restore --list → upload (dump, .sha256, .toc, then .manifest.json, with SSE) to the
# layout the portal reads and to a second bucket → retention. Then checks the manifest (checksum,
# size, row counts, encryption), that the uploaded dump restores into a fresh database with the
# same rows, that retention keeps the newest MIN_KEEP dumps in both buckets, and that it also
# keeps the newest dump the portal marked verified (<dump>.verified) beyond them.
#
# usage: test-backup.sh <rendered-service-dir>
# needs: helm, PostgreSQL server binaries (initdb, pg_ctl, pg_dump, pg_restore, psql), and a
#   Python venv with awscli + moto[server] (created under the check cache on first use;
#   moto stands in for the object store — the stack's versitygw can be used instead by
#   setting S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and S3_BUCKET).
set -euo pipefail
dir=$(cd "${1:?usage: test-backup.sh <rendered-service-dir>}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export PATH="$repo/.tools/bin:$PATH"
cache=${SHIPSHAPE_CHECK_CACHE:-$repo/.tools/check-cache}
venv=$cache/backup-venv
mkdir -p "$cache"
exec {cache_lock}>"$cache/.lock"; flock "$cache_lock" # services are checked concurrently
if [[ ! -f $venv/.complete ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install -q awscli==1.46.3 'moto[server]==5.2.5' pyyaml==6.0.3 && touch "$venv/.complete"
fi
flock -u "$cache_lock"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
export PATH="$venv/bin:$pg_bin:$PATH"
as=(); [[ $(id -u) == 0 ]] && as=(runuser -u postgres --)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /tmp/test-backup.XXXXXX); chmod 777 "$work"
pids=()
cleanup() {
  [[ -d $work/pg ]] && "${as[@]}" pg_ctl -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

name=$(sed -n 's/^name: *//p' "$dir/chart/Chart.yaml")
helm template "$name" "$dir/chart" --kube-version 1.33.0 -f "$dir/chart/values-production.yaml" --set image.tag=test >"$work/all.yaml"
python3_venv=$venv/bin/python
"$python3_venv" - "$work" <<'PY'
import sys, yaml, pathlib
work = pathlib.Path(sys.argv[1])
cron = next(d for d in yaml.safe_load_all((work / "all.yaml").read_text()) if d and d["kind"] == "CronJob")
pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
def env(c):
    return "\n".join(f"export {e['name']}={e['value']!r}" for e in c.get("env", []) if "value" in e)
for c, fname in ((pod["initContainers"][0], "dump.sh"), (pod["containers"][0], "upload.sh")):
    script = c["args"][0].replace("/backup", str(work / "backup"))
    (work / fname).write_text(env(c) + "\n" + script)
print("extracted", cron["metadata"]["name"])
PY
mkdir -p "$work/backup" && chmod 777 "$work/backup"
# the container scripts themselves pass shellcheck (dump: /bin/sh, upload: bash)
if command -v shellcheck >/dev/null; then
  shellcheck -s sh -S warning <(grep -v '^export' "$work/dump.sh")
  shellcheck -s bash -S warning <(grep -v '^export' "$work/upload.sh")
  echo "ok: shellcheck passes on both container scripts"
fi

# PostgreSQL with some data
port=$(free_port)
"${as[@]}" initdb -D "$work/pg" -A trust -U check >/dev/null
"${as[@]}" pg_ctl -D "$work/pg" -l "$work/pg.log" -w -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
db="postgresql://check@127.0.0.1:$port/postgres"
psql -q "$db" -c "create table items(id serial primary key, name text); insert into items(name) select 'item ' || g from generate_series(1, 500) g;"

# S3 API
if [[ -z ${S3_ENDPOINT:-} ]]; then
  s3port=$(free_port)
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$s3port" >"$work/moto.log" 2>&1 &
  pids+=($!)
  export S3_ENDPOINT="http://127.0.0.1:$s3port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  for _ in $(seq 50); do curl -fs "$S3_ENDPOINT" >/dev/null 2>&1 && break; sleep 0.2; done
fi
export S3_BUCKET=${S3_BUCKET:-backups-test} COPY_BUCKET=${COPY_BUCKET:-backups-test-dr} COPY_ENDPOINT=$S3_ENDPOINT
for b in "$S3_BUCKET" "$COPY_BUCKET"; do
  aws --endpoint-url "$S3_ENDPOINT" s3api create-bucket --bucket "$b" >/dev/null 2>&1 || true
done

run_backup() { # the two containers in order, with the chart's env and our endpoints
  # shellcheck disable=SC1090  # the chart's env, extracted above
  ( source <(grep '^export' "$work/dump.sh"); export DATABASE_URL=$db HOME=$work
    bash -ec "$(grep -v '^export' "$work/dump.sh")" ) >>"$work/run.log" 2>&1
  # shellcheck disable=SC1090
  ( source <(grep '^export' "$work/upload.sh" | grep -v 'S3_BUCKET\|S3_ENDPOINT\|COPY_BUCKET\|COPY_ENDPOINT')
    export HOME=$work RETENTION_DAYS=${1:-$RETENTION_DAYS} MIN_KEEP=3
    bash -euo pipefail -c "$(grep -v '^export' "$work/upload.sh")" ) >>"$work/run.log" 2>&1
}
# shellcheck disable=SC1090
source <(grep '^export S3_PREFIX\|^export BACKUP_TARGET\|^export APP_ENV' "$work/upload.sh")
base=${S3_PREFIX}cronjob/$BACKUP_TARGET/$APP_ENV # the layout the portal reads (docs/backup.md)
count() { aws --endpoint-url "$S3_ENDPOINT" s3 ls "s3://${2:-$S3_BUCKET}/$base/" | grep -c '\.dump$' || true; }

run_backup 30 || { cat "$work/run.log"; exit 1; }
grep -q 'verified: ' "$work/run.log" || { echo "no verification in the log" >&2; exit 1; }
[[ $(count) == 1 ]] || { echo "expected 1 dump, found $(count)" >&2; exit 1; }
echo "ok: backup uploaded ($(aws --endpoint-url "$S3_ENDPOINT" s3 ls "s3://$S3_BUCKET/$base/" | wc -l) objects: dump, sha256, toc, manifest)"

# the uploaded dump restores, checksum first; its manifest says what it holds, encrypted at rest
key=$(aws --endpoint-url "$S3_ENDPOINT" s3 ls "s3://$S3_BUCKET/$base/" | awk '/\.dump$/ {print $4}' | tail -n 1)
aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors "s3://$S3_BUCKET/$base/$key" "$work/restore.dump"
aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors "s3://$S3_BUCKET/$base/$key.sha256" "$work/restore.sha256"
aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors "s3://$S3_BUCKET/$base/$key.manifest.json" "$work/manifest.json"
[[ $(sha256sum "$work/restore.dump" | cut -d' ' -f1) == $(cat "$work/restore.sha256") ]] || { echo "checksum mismatch" >&2; exit 1; }
"$python3_venv" - "$work/manifest.json" "$work/restore.dump" "$BACKUP_TARGET" "$APP_ENV" <<'PY2'
import hashlib, json, os, sys
m = json.load(open(sys.argv[1])); dump = open(sys.argv[2], "rb").read()
assert m["format"] == "shipshape.dev/cronjob-backup-v1", m["format"]
assert m["sha256"] == hashlib.sha256(dump).hexdigest() and m["sizeBytes"] == len(dump), "manifest checksum/size"
assert (m["target"], m["environment"], m["database"]) == (sys.argv[3], sys.argv[4], "postgres"), m
assert {(t["schema"], t["table"]): t["rows"] for t in m["tables"]} == {("public", "items"): 500}, m["tables"]
assert m["startedAt"] <= m["finishedAt"] and m["serverVersion"], m
PY2
for k in "$key" "$key.manifest.json"; do
  sse=$(aws --endpoint-url "$S3_ENDPOINT" s3api head-object --bucket "$S3_BUCKET" --key "$base/$k" --query ServerSideEncryption --output text)
  [[ $sse == AES256 ]] || { echo "$base/$k is not encrypted at rest (ServerSideEncryption: $sse)" >&2; exit 1; }
done
echo "ok: manifest matches the dump (sha256, size, public.items 500 rows); dump and manifest stored with SSE AES256"
aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors "s3://$COPY_BUCKET/$base/$key" "$work/copy.dump"
cmp -s "$work/copy.dump" "$work/restore.dump" || { echo "the second copy differs" >&2; exit 1; }
aws --endpoint-url "$S3_ENDPOINT" s3api head-object --bucket "$COPY_BUCKET" --key "$base/$key.manifest.json" >/dev/null
echo "ok: second copy in s3://$COPY_BUCKET/$base/ (dump byte for byte, manifest)"
psql -q "$db" -c "create database restored"
pg_restore --no-owner --no-privileges --exit-on-error --dbname="postgresql://check@127.0.0.1:$port/restored" "$work/restore.dump"
rows=$(psql -tA "postgresql://check@127.0.0.1:$port/restored" -c "select count(*) from items")
[[ $rows == 500 ]] || { echo "restored $rows rows, expected 500" >&2; exit 1; }
echo "ok: checksum matches; restored into a new database: items has $rows rows"

# retention: four more runs with a 0-day retention keep only the newest MIN_KEEP=3
for _ in 1 2 3 4; do sleep 1.1; run_backup 0 || { cat "$work/run.log"; exit 1; }; done
n=$(count)
[[ $n == 3 ]] || { echo "retention kept $n dumps, expected 3" >&2; cat "$work/run.log" >&2; exit 1; }
for b in "$S3_BUCKET" "$COPY_BUCKET"; do
  leftover=$(aws --endpoint-url "$S3_ENDPOINT" s3 ls "s3://$b/$base/" | wc -l)
  [[ $leftover == 12 ]] || { echo "expected 12 objects in $b (3 × dump/sha256/toc/manifest), found $leftover" >&2; exit 1; }
done
echo "ok: retention deleted old dumps with their checksum, TOC and manifest files in both buckets, kept the newest 3"

# the newest dump the portal verified (its <dump>.verified marker, shipshape-common
# backupLayout.ts) survives newer unverified dumps beyond MIN_KEEP, in both buckets
marked=$(aws --endpoint-url "$S3_ENDPOINT" s3 ls "s3://$S3_BUCKET/$base/" | awk '/\.dump$/ {print $4}' | sort | head -n 1)
for b in "$S3_BUCKET" "$COPY_BUCKET"; do
  aws --endpoint-url "$S3_ENDPOINT" s3api put-object --bucket "$b" --key "$base/$marked.verified" --body "$work/manifest.json" >/dev/null
done
for _ in 1 2 3; do sleep 1.1; run_backup 0 || { cat "$work/run.log"; exit 1; }; done
for b in "$S3_BUCKET" "$COPY_BUCKET"; do
  [[ $(count "$b") == 4 ]] || { echo "retention kept $(count "$b") dumps in $b, expected the newest 3 and the verified one" >&2; exit 1; }
  for k in "$marked" "$marked.manifest.json" "$marked.verified" "$marked.sha256" "$marked.toc"; do
    aws --endpoint-url "$S3_ENDPOINT" s3api head-object --bucket "$b" --key "$base/$k" >/dev/null 2>&1 || { echo "retention deleted $b/$base/$k, the verified dump's" >&2; exit 1; }
  done
done
grep -q "retention: keeping s3://$S3_BUCKET/$base/$marked, the newest dump the portal verified" "$work/run.log" || { echo "retention did not say it kept $marked" >&2; exit 1; }
echo "ok: retention kept $marked, verified and older than the newest 3 unverified dumps, with its manifest and marker in both buckets"
# once a newer dump is verified, the older one goes with its marker
newest=$(aws --endpoint-url "$S3_ENDPOINT" s3 ls "s3://$S3_BUCKET/$base/" | awk '/\.dump$/ {print $4}' | sort | tail -n 1)
for b in "$S3_BUCKET" "$COPY_BUCKET"; do
  aws --endpoint-url "$S3_ENDPOINT" s3api put-object --bucket "$b" --key "$base/$newest.verified" --body "$work/manifest.json" >/dev/null
done
sleep 1.1; run_backup 0 || { cat "$work/run.log"; exit 1; }
for b in "$S3_BUCKET" "$COPY_BUCKET"; do
  leftover=$(aws --endpoint-url "$S3_ENDPOINT" s3 ls "s3://$b/$base/" | awk '{print $4}')
  [[ $(grep -c '\.dump$' <<<"$leftover") == 3 && $(grep -c '\.verified$' <<<"$leftover") == 1 ]] \
    || { echo "expected 3 dumps and 1 marker in $b after $newest was verified, found: $leftover" >&2; exit 1; }
  grep -qx "$newest.verified" <<<"$leftover" || { echo "$b lost $newest's marker" >&2; exit 1; }
done
echo "ok: with a newer verified dump, retention deleted $marked and its marker; kept the newest 3 and $newest.verified"

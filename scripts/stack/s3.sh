# shellcheck shell=bash
# S3 (sourced by stack.sh): versitygw and the backup buckets.

S3_BUCKET="shipshape-backups"
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

start_s3() {
  local d="$STATE/s3"
  mkdir -p "$d/data" "$d/meta"
  ROOT_ACCESS_KEY="$(secret s3-access-key)" ROOT_SECRET_KEY="$(secret s3-secret-key)" \
    start_proc s3 "$BIN/versitygw" --port "$HOST:$S3_PORT" posix --sidecar "$d/meta" "$d/data"
  wait_for s3 30 bash -c "exec 3<>/dev/tcp/$HOST/$S3_PORT"
  # the backups bucket and its second copy (copyTo of payments-db, docs/backup.md)
  local bucket
  for bucket in "$S3_BUCKET" "$S3_BUCKET-dr"; do
    if [[ ! -d "$d/data/$bucket" ]]; then
      curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: $EMPTY_SHA256" \
        --user "$(secret s3-access-key):$(secret s3-secret-key)" "http://$HOST:$S3_PORT/$bucket" >/dev/null \
        || fail s3 "creating bucket $bucket failed"
    fi
  done
}

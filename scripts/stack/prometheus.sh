# shellcheck shell=bash
# Metrics (sourced by stack.sh): the steerable exporter, Alertmanager, Prometheus and its history.

PROM_BACKFILL_DAYS="${STACK_PROM_BACKFILL_DAYS:-28}"
# default exporter traffic: name:rps:errorRatio:latencyMs, passed to exporter.py and
# backfill.py as "${DEMO_SERVICES[@]/#/--service=}" (one --service=NAME:... per service)
DEMO_SERVICES=("payments-api:5:0.0002:40" "orders-api:8:0.0008:120" "legacy-billing:1:0.0005:250")

start_exporter() {
  start_proc exporter "$PY" "$HERE/exporter.py" --listen $HOST --port "$EXPORTER_PORT" "${DEMO_SERVICES[@]/#/--service=}"
  wait_for exporter 20 curl -sf "http://$HOST:$EXPORTER_PORT/healthz"
}

start_alertmanager() {
  local d="$STATE/alertmanager"
  mkdir -p "$d/data"
  cat >"$d/alertmanager.yml" <<EOF
route:
  receiver: default
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
- name: default
EOF
  start_proc alertmanager "$(command -v prometheus-alertmanager)" --config.file="$d/alertmanager.yml" \
    --storage.path="$d/data" --web.listen-address="$HOST:$AM_PORT" --cluster.listen-address= \
    --web.external-url="http://$HOST:$AM_PORT/"
  wait_for alertmanager 30 curl -sf "http://$HOST:$AM_PORT/-/ready"
}

prom_backfill() {
  local d="$STATE/prometheus" days="${1:-$PROM_BACKFILL_DAYS}"
  [[ "$days" != 0 ]] || return 0
  local om="$d/backfill.om"
  (cd "$HERE" && "$PY" backfill.py --out "$om" --days "$days" --step 300 \
    --instance "$HOST:$EXPORTER_PORT" "${DEMO_SERVICES[@]/#/--service=}") >>"$(logfile prometheus-backfill)" 2>&1
  promtool tsdb create-blocks-from openmetrics --max-block-duration=720h "$om" "$d/data" \
    >>"$(logfile prometheus-backfill)" 2>&1 || fail prometheus-backfill "promtool create-blocks-from failed"
  rm -f "$om"
}

prom_config() { # rules.d/*.yml: generated SLO rules that tests drop in (POST /-/reload)
  local d="$STATE/prometheus"
  mkdir -p "$d/data" "$d/rules.d"
  cp "$HERE/prometheus-rules.yml" "$d/rules.yml"
  cat >"$d/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {stack: shipshape-local}
alerting:
  alertmanagers:
  - static_configs:
    - targets: ['$HOST:$AM_PORT']
rule_files: ['$d/rules.yml', '$d/rules.d/*.yml']
scrape_configs:
- job_name: shipshape-exporter
  static_configs:
  - targets: ['$HOST:$EXPORTER_PORT']
- job_name: prometheus
  scrape_interval: 5s
  static_configs:
  - targets: ['$HOST:$PROM_PORT']
EOF
}

prom_reload() { # a running Prometheus picks up a changed prometheus.yml or rules.yml
  local d="$STATE/prometheus" before
  before=$(cat "$d/prometheus.yml" "$d/rules.yml" 2>/dev/null | md5sum)
  prom_config
  [[ $(cat "$d/prometheus.yml" "$d/rules.yml" | md5sum) == "$before" ]] ||
    curl -sf -X POST "http://$HOST:$PROM_PORT/-/reload" >/dev/null || log "prometheus: reload failed"
}

start_prometheus() {
  local d="$STATE/prometheus"
  prom_config
  if [[ ! -f "$d/.backfilled" && "$PROM_BACKFILL_DAYS" != 0 ]]; then
    log "prometheus: backfilling ${PROM_BACKFILL_DAYS} days of history"
    prom_backfill
    touch "$d/.backfilled"
  fi
  start_proc prometheus "$(command -v prometheus)" --config.file="$d/prometheus.yml" \
    --storage.tsdb.path="$d/data" --storage.tsdb.retention.time=60d \
    --web.listen-address="$HOST:$PROM_PORT" --web.enable-lifecycle --rules.alert.resend-delay=5s \
    --web.external-url="http://$HOST:$PROM_PORT/"
  wait_for prometheus 60 curl -sf "http://$HOST:$PROM_PORT/-/ready"
  # ready for tests once the exporter has been scraped and the rules evaluated
  wait_for prometheus 30 prom_scraped
}

prom_scraped() {
  curl -sf "http://$HOST:$PROM_PORT/api/v1/query" --data-urlencode 'query=up{job="shipshape-exporter"} == 1' | grep -q '"result":\[{' &&
    curl -sf "http://$HOST:$PROM_PORT/api/v1/alerts" | grep -q ShipshapeStackWatchdog
}

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from app.logging import JsonFormatter
from app.metrics import latency_buckets


def test_health_is_always_ok(client: TestClient) -> None:
    res = client.get("/health")
    assert res.status_code == 200
    assert res.json() == {"status": "ok"}

{% if not values.hasDatabase %}
def test_ready_without_dependencies(client: TestClient) -> None:
    res = client.get("/ready")
    assert res.status_code == 200
    assert res.json()["status"] == "ready"

{% endif %}
def test_index_names_the_service(client: TestClient) -> None:
    assert client.get("/").json()["service"] == "${{ values.name }}"


def metric_value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_template_and_code(client: TestClient) -> None:
    before = client.get("/metrics").text
    client.get("/")
    client.get("/no/such/path")
    client.get("/health")
    after = client.get("/metrics").text

    def delta(name: str, **labels: str) -> float:
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)

    assert delta("http_requests_total", method="GET", route="/", code="200") == 1
    # unknown paths are folded into one series so scanners cannot explode cardinality
    assert delta("http_requests_total", method="GET", route="unmatched", code="404") == 1
    # probes and scrapes are not counted
    assert delta("http_requests_total", route="/health") == 0
    assert delta("http_requests_total", route="/metrics") == 0
    assert delta("http_request_duration_seconds_count", method="GET", route="/") == 1


def test_latency_threshold_is_a_bucket_boundary(client: TestClient) -> None:
    text = client.get("/metrics").text
    assert 'le="${{ values.latencyLe }}"' in text
    assert latency_buckets(0.3) == tuple(sorted(set(latency_buckets(0.3))))
    assert 0.3 in latency_buckets(0.3)


def test_logs_are_json_with_extra_fields() -> None:
    record = logging.makeLogRecord({"name": "app.http", "levelname": "INFO", "msg": "request", "route": "/"})
    entry = json.loads(JsonFormatter("svc").format(record))
    assert entry["message"] == "request"
    assert entry["level"] == "info"
    assert entry["route"] == "/"
    assert entry["service"] == "svc"

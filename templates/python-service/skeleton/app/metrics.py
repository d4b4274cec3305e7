"""Prometheus metrics and the request middleware that records them.

`http_requests_total{method,route,code}` and `http_request_duration_seconds{method,route}`
feed the SLOs in slo.yaml. The SLO latency threshold is always one of the histogram's
bucket boundaries, so the latency SLI is exact. Probe and scrape endpoints are not counted.
Under gunicorn (several worker processes) PROMETHEUS_MULTIPROC_DIR must be set
(the Dockerfile does) so that /metrics aggregates all workers.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNCOUNTED = frozenset({"/health", "/ready", "/metrics"})
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

log = logging.getLogger("app.http")


def latency_buckets(threshold_seconds: float, base: Iterable[float] = DEFAULT_BUCKETS) -> tuple[float, ...]:
    return tuple(sorted(set(base) | {threshold_seconds}))


_THRESHOLD = float(os.environ.get("SLO_LATENCY_THRESHOLD_SECONDS", "${{ values.latencyThresholdMs / 1000 }}"))

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by method, route template and status code.",
    ["method", "route", "code"],
)
DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration in seconds, by method and route template.",
    ["method", "route"],
    buckets=latency_buckets(_THRESHOLD),
)


def render_metrics() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Pure ASGI middleware: counts, times and logs every request except probes/scrapes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method=method, route=route, code=str(status)).inc()
            DURATION.labels(method=method, route=route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )


def route_template(scope: Scope) -> str:
    """The matched route's template (bounded cardinality), or "unmatched"."""
    app = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"

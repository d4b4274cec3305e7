#!/usr/bin/env python3
"""Steerable loopback Prometheus exporter for the Shipshape local stack.

Simulates HTTP traffic per service and exposes, in Prometheus text format:
  http_requests_total{service,code}                 counter
  http_request_duration_seconds_bucket{service,le}  histogram (+ _sum, _count)
  shipshape_exporter_service_rps{service}           gauge (the steered target)

Control (JSON):
  GET  /control                    -> current settings of every service
  POST /control {service, rps?, errorRatio?, latencyMs?}
                                   -> create/update a service (missing fields keep
                                      their value; defaults rps=5, errorRatio=0, latencyMs=50)
  POST /control {service, remove: true}
                                   -> drop one service and its series
  POST /reset                      -> drop all services and counters
  GET  /healthz                    -> ok

Counters advance with wall-clock time (rps * elapsed), so rate() sees the steered
rate within a scrape or two. Stdlib only.
"""
import argparse
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
# Latency shape around the steered mean: (fraction of requests, multiple of the mean).
SHAPE = [(0.5, 0.6), (0.3, 1.0), (0.15, 1.8), (0.05, 4.0)]
ERROR_CODE = "500"
CLIENT_ERROR_RATIO = 0.01  # a few 404s, which are not errors for an SLO


class Service:
    def __init__(self, name, rps=5.0, error_ratio=0.0, latency_ms=50.0):
        self.name = name
        self.rps = float(rps)
        self.error_ratio = float(error_ratio)
        self.latency_ms = float(latency_ms)
        self.codes = {"200": 0.0, "404": 0.0, ERROR_CODE: 0.0}
        self.buckets = [0.0] * len(BUCKETS)
        self.sum = 0.0
        self.count = 0.0
        self.last = time.monotonic()

    def advance(self, now):
        dt = max(0.0, now - self.last)
        self.last = now
        n = self.rps * dt
        if n <= 0:
            return
        err = n * self.error_ratio
        c404 = (n - err) * CLIENT_ERROR_RATIO
        self.codes[ERROR_CODE] += err
        self.codes["404"] += c404
        self.codes["200"] += n - err - c404
        mean = self.latency_ms / 1000.0
        for frac, mult in SHAPE:
            v = mean * mult
            k = n * frac
            self.sum += v * k
            for i, le in enumerate(BUCKETS):
                if v <= le:
                    self.buckets[i] += k
        self.count += n

    def settings(self):
        return {"service": self.name, "rps": self.rps,
                "errorRatio": self.error_ratio, "latencyMs": self.latency_ms}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.services = {}

    def set(self, name, **kw):
        with self.lock:
            now = time.monotonic()
            for s in self.services.values():
                s.advance(now)
            s = self.services.get(name)
            if s is None:
                s = self.services[name] = Service(name)
                s.last = now
            if kw.get("rps") is not None:
                s.rps = max(0.0, float(kw["rps"]))
            if kw.get("errorRatio") is not None:
                s.error_ratio = min(1.0, max(0.0, float(kw["errorRatio"])))
            if kw.get("latencyMs") is not None:
                s.latency_ms = max(0.0, float(kw["latencyMs"]))
            return s.settings()

    def remove(self, name):
        with self.lock:
            return self.services.pop(name, None) is not None

    def reset(self):
        with self.lock:
            self.services.clear()

    def settings(self):
        with self.lock:
            return [s.settings() for s in self.services.values()]

    def render(self):
        out = []
        with self.lock:
            now = time.monotonic()
            svcs = list(self.services.values())
            for s in svcs:
                s.advance(now)
            out.append("# HELP http_requests_total Simulated HTTP requests.")
            out.append("# TYPE http_requests_total counter")
            for s in svcs:
                for code, v in sorted(s.codes.items()):
                    out.append('http_requests_total{service="%s",code="%s"} %s' % (s.name, code, fmt(v)))
            out.append("# HELP http_request_duration_seconds Simulated request latency.")
            out.append("# TYPE http_request_duration_seconds histogram")
            for s in svcs:
                for le, v in zip(BUCKETS, s.buckets):
                    out.append('http_request_duration_seconds_bucket{service="%s",le="%s"} %s' % (s.name, le, fmt(v)))
                out.append('http_request_duration_seconds_bucket{service="%s",le="+Inf"} %s' % (s.name, fmt(s.count)))
                out.append('http_request_duration_seconds_sum{service="%s"} %s' % (s.name, fmt(s.sum)))
                out.append('http_request_duration_seconds_count{service="%s"} %s' % (s.name, fmt(s.count)))
            out.append("# HELP shipshape_exporter_service_rps Steered request rate.")
            out.append("# TYPE shipshape_exporter_service_rps gauge")
            for s in svcs:
                out.append('shipshape_exporter_service_rps{service="%s"} %s' % (s.name, fmt(s.rps)))
        return "\n".join(out) + "\n"


def fmt(v):
    if math.isfinite(v) and v == int(v):
        return str(int(v))
    return "%.6f" % v


STATE = State()


class Handler(BaseHTTPRequestHandler):
    server_version = "shipshape-exporter/1"

    def log_message(self, fmt_, *args):  # quiet
        pass

    def reply(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/metrics":
            self.reply(200, STATE.render(), "text/plain; version=0.0.4")
        elif path == "/control":
            self.reply(200, json.dumps({"services": STATE.settings()}))
        elif path in ("/healthz", "/"):
            self.reply(200, "ok\n", "text/plain")
        else:
            self.reply(404, '{"error":"not found"}')

    def do_POST(self):
        path = self.path.split("?")[0]
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        if path == "/reset":
            STATE.reset()
            self.reply(200, '{"ok":true}')
            return
        if path != "/control":
            self.reply(404, '{"error":"not found"}')
            return
        try:
            body = json.loads(raw or b"{}")
            items = body if isinstance(body, list) else [body]
            res = []
            for it in items:
                name = str(it.get("service") or "").strip()
                if not name:
                    raise ValueError("service is required")
                if it.get("remove"):
                    res.append({"service": name, "removed": STATE.remove(name)})
                    continue
                res.append(STATE.set(name, rps=it.get("rps"), errorRatio=it.get("errorRatio"),
                                     latencyMs=it.get("latencyMs")))
            self.reply(200, json.dumps(res[0] if not isinstance(body, list) else res))
        except (ValueError, TypeError, AttributeError) as e:
            self.reply(400, json.dumps({"error": str(e)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=29100)
    ap.add_argument("--service", action="append", default=[],
                    help="name[:rps[:errorRatio[:latencyMs]]], repeatable")
    a = ap.parse_args()
    for spec in a.service:
        p = spec.split(":")
        kw = {}
        for k, v in zip(["rps", "errorRatio", "latencyMs"], p[1:]):
            if v:
                kw[k] = float(v)
        STATE.set(p[0], **kw)
    srv = ThreadingHTTPServer((a.listen, a.port), Handler)
    srv.daemon_threads = True
    print("exporter listening on http://%s:%d" % (a.listen, a.port), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

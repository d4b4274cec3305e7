#!/usr/bin/env python3
"""Writes OpenMetrics history for the exporter's series, for
`promtool tsdb create-blocks-from openmetrics FILE DIR`.

The series carry the same job/instance labels Prometheus adds when it scrapes the
live exporter, so queries over a 28-day window see one continuous series (the live
exporter starting at 0 is an ordinary counter reset).

  backfill.py --out FILE [--days 28] [--step 300] [--end UNIX]
              [--job shipshape-exporter] [--instance 127.0.0.1:29100]
              --service name:rps:errorRatio:latencyMs ...
"""
import argparse
import math
import random
import time

from exporter import BUCKETS, SHAPE, CLIENT_ERROR_RATIO, ERROR_CODE


def parse_service(spec):
    p = spec.split(":")
    vals = [5.0, 0.0, 50.0]
    for i, v in enumerate(p[1:4]):
        if v:
            vals[i] = float(v)
    return p[0], vals[0], vals[1], vals[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--days", type=float, default=28)
    ap.add_argument("--step", type=int, default=300)
    ap.add_argument("--end", type=int, default=0, help="unix seconds; default now")
    ap.add_argument("--job", default="shipshape-exporter")
    ap.add_argument("--instance", default="127.0.0.1:29100")
    ap.add_argument("--service", action="append", default=[])
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    end = a.end or int(time.time())
    end -= end % a.step
    start = end - int(a.days * 86400)
    steps = list(range(start, end + 1, a.step))
    rnd = random.Random(a.seed)
    series = {}  # (family, sample name, labels) -> list of (ts, value)
    for spec in a.service:
        name, rps, err_ratio, lat_ms = parse_service(spec)
        codes = {"200": 0.0, "404": 0.0, ERROR_CODE: 0.0}
        buckets = [0.0] * len(BUCKETS)
        total = ssum = 0.0
        rows = {k: [] for k in ["c200", "c404", "c500", "sum", "count"] + ["b%d" % i for i in range(len(BUCKETS))]}
        for ts in steps:
            # daily traffic shape plus a little noise
            f = 1.0 + 0.4 * math.sin(2 * math.pi * (ts % 86400) / 86400.0)
            n = rps * a.step * f * (0.9 + 0.2 * rnd.random())
            e = n * err_ratio * (0.5 + rnd.random())
            c404 = (n - e) * CLIENT_ERROR_RATIO
            codes[ERROR_CODE] += e
            codes["404"] += c404
            codes["200"] += n - e - c404
            mean = lat_ms / 1000.0 * (0.9 + 0.2 * rnd.random())
            for frac, mult in SHAPE:
                v = mean * mult
                ssum += v * n * frac
                for i, le in enumerate(BUCKETS):
                    if v <= le:
                        buckets[i] += n * frac
            total += n
            rows["c200"].append((ts, codes["200"]))
            rows["c404"].append((ts, codes["404"]))
            rows["c500"].append((ts, codes[ERROR_CODE]))
            rows["sum"].append((ts, ssum))
            rows["count"].append((ts, total))
            for i in range(len(BUCKETS)):
                rows["b%d" % i].append((ts, buckets[i]))
        series[name] = rows
    base = 'job="%s",instance="%s"' % (a.job, a.instance)
    with open(a.out, "w") as out:
        out.write("# TYPE http_requests counter\n")
        for name, rows in series.items():
            for code in ("200", "404", ERROR_CODE):
                for ts, v in rows["c" + code]:
                    out.write('http_requests_total{%s,service="%s",code="%s"} %.3f %d\n' % (base, name, code, v, ts))
        out.write("# TYPE http_request_duration_seconds histogram\n")
        for name, rows in series.items():
            for i, le in enumerate(BUCKETS):
                for ts, v in rows["b%d" % i]:
                    out.write('http_request_duration_seconds_bucket{%s,service="%s",le="%s"} %.3f %d\n' % (base, name, le, v, ts))
            for ts, v in rows["count"]:
                out.write('http_request_duration_seconds_bucket{%s,service="%s",le="+Inf"} %.3f %d\n' % (base, name, v, ts))
            for ts, v in rows["sum"]:
                out.write('http_request_duration_seconds_sum{%s,service="%s"} %.6f %d\n' % (base, name, v, ts))
            for ts, v in rows["count"]:
                out.write('http_request_duration_seconds_count{%s,service="%s"} %.3f %d\n' % (base, name, v, ts))
        out.write("# EOF\n")
    print("wrote %d samples/series x %d series to %s" % (len(steps), len(series) * (3 + len(BUCKETS) + 3), a.out))


if __name__ == "__main__":
    main()

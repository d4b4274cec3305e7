"""Reads the request log of scripts/fuzz/hooks.py and prints the request count, the status
histogram (overall and per operation) and every request that answered 5xx (or got no answer),
then "N passed, N failed": an operation passes when none of its requests answered 5xx.

usage: summary.py LOG OPENAPI_YAML [RUNNER_EXIT_CODE] (an operation of the document that the
fuzzer never reached counts as failed, and so does the run itself when Schemathesis exited with
an error that no 5xx explains)
"""

import collections
import json
import os
import shlex
import sys
import urllib.parse

import yaml

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def main() -> int:
    log, spec_file = sys.argv[1], sys.argv[2]
    runner_exit = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    with open(spec_file, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    expected = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    ]
    with open(log, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    by_status = collections.Counter(r["status"] for r in records)
    # Requests with a method the document does not list (the coverage phase's probes) are one line.
    other = "(methods the document does not list)"
    for r in records:
        if r["operation"] not in expected:
            r["operation"] = other
    by_operation: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in records:
        by_operation[r["operation"]][r["status"]] += 1
    bad = [r for r in records if r["status"] >= 500 or r["status"] == 0]

    print(f"requests: {len(records)}")
    print("status histogram: " + ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
    width = max((len(op) for op in [*by_operation, *expected]), default=10)
    for op in sorted(set(by_operation) | set(expected)):
        counts = by_operation.get(op, collections.Counter())
        hist = " ".join(f"{s}:{n}" for s, n in sorted(counts.items())) or "no requests"
        print(f"  {op:<{width}}  {sum(counts.values()):5d}  {hist}")
    for r in bad[:20]:
        what = "no answer" if r["status"] == 0 else f"answered {r['status']}"
        print(f"\n{what}: {r['method']} {r['url']}")
        cmd = ["curl", "-X", r["method"], r["url"], "-H", "Authorization: Bearer $TOKEN"]
        if r.get("body") is not None:
            cmd += ["-H", f"Content-Type: {r.get('contentType') or 'application/json'}", "--data", r["body"]]
        print("  " + " ".join(shlex.quote(c) if c != "Authorization: Bearer $TOKEN" else f'"{c}"' for c in cmd))
        if r.get("response"):
            print(f"  response: {r['response'][:500]}")
    if len(bad) > 20:
        print(f"\n... and {len(bad) - 20} more")

    # The hooks' promise, checked: no request that may act reached a real entity unless a dry run.
    real = {
        "/entities/" + ref.lower() + "/"
        for ref in os.environ.get("SHIPSHAPE_FUZZ_ENTITIES", "").split()
    }
    acted = [
        r
        for r in records
        if r["method"] not in ("GET", "HEAD", "OPTIONS")
        and any(e in urllib.parse.unquote(r["url"]).lower() for e in real)
        and not r.get("dryRun")
    ]
    for r in acted[:5]:
        print(f"\nnot a dry run, on a real entity ({r['status']}): {r['method']} {r['url']} {r.get('body')}")

    failed_ops = {r["operation"] for r in bad} | {op for op in expected if op not in by_operation}
    failed_ops |= {r["operation"] for r in acted}
    operations = set(by_operation) | set(expected)
    if runner_exit and not bad:
        print(f"\nSchemathesis exited {runner_exit} without a 5xx: see its log for the error")
        failed_ops.add("(the run)")
        operations.add("(the run)")
    print(f"{len(operations) - len(failed_ops)} passed, {len(failed_ops)} failed")
    return 1 if failed_ops else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The template's tier policy must equal TIER_DEFAULTS in plugins/shipshape-common/src/tiers.ts
(the numbers the catalog module and the backend use). Compares a rendered service's
catalog-info.yaml, chart values and slo.yaml with it.

usage: check-tier-policy.py <rendered-service-dir> [<params.json>]
"""
import json
import pathlib
import re
import sys

import yaml

repo = pathlib.Path(__file__).resolve().parents[2]
tiers_ts = (repo / "plugins/shipshape-common/src/tiers.ts").read_text()
body = tiers_ts[tiers_ts.index("TIER_DEFAULTS") :]


def defaults(tier: str) -> dict:
    block = re.search(r"'?%s'?\s*:\s*\{(.*?)\}" % re.escape(tier), body, re.S).group(1)
    out = {}
    for key, val in re.findall(r"(\w+)\s*:\s*('[^']*'|[\d.]+|true|false)", block):
        out[key] = val.strip("'") if val.startswith("'") else (val == "true" if val in ("true", "false") else float(val))
    return out


d = pathlib.Path(sys.argv[1])
params = json.loads(pathlib.Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
entity = yaml.safe_load((d / "catalog-info.yaml").read_text())
ann = entity["metadata"]["annotations"]
tier = ann["shipshape.dev/tier"]
want = defaults(tier)
values = yaml.safe_load((d / "chart/values.yaml").read_text())
prod = yaml.safe_load((d / "chart/values-production.yaml").read_text())
errors = []


def same(what, got, exp):
    if got != exp:
        errors.append(f"{what}: template has {got!r}, shipshape-common has {exp!r}")


same("rpo", ann["shipshape.dev/rpo"], want["rpo"])
same("rto", ann["shipshape.dev/rto"], want["rto"])
same("restore-drill-interval", ann["shipshape.dev/restore-drill-interval"], want["restoreDrillInterval"])
same("production replicas", prod["replicaCount"], int(want["replicas"]))
pdb = values["podDisruptionBudget"]
same("PDB minAvailable", pdb["minAvailable"] if pdb["enabled"] else 0, int(want["pdbMinAvailable"]))
if params and "availabilityTarget" not in params:
    slos = [s for s in yaml.safe_load_all((d / "slo.yaml").read_text()) if s["kind"] == "SLO"]
    target = next(s for s in slos if s["metadata"]["name"].endswith("-availability"))["spec"]["objectives"][0]["target"]
    same("availability objective (slo.yaml)", round(target * 100, 6), want["availabilityObjective"])
for e in errors:
    print(f"  {e}", file=sys.stderr)
print(f"tier {tier}: {'matches' if not errors else 'DIFFERS from'} TIER_DEFAULTS")
sys.exit(1 if errors else 0)

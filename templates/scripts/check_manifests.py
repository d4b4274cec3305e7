#!/usr/bin/env python3
"""Policy checks on a rendered Helm chart (the output of `helm template`), beyond schema
validity: every object carries the Shipshape labels, every pod is hardened, the server has
its probes, no image is `latest`, no credential value is in a manifest, and the
PrometheusRule's spec can be extracted for promtool.

usage: check_manifests.py <rendered.yaml> <environment> [--rules-out FILE]
Needs PyYAML. Exit status 1 with one line per violation.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

import yaml

REQUIRED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "backstage.io/kubernetes-id",
    "shipshape.dev/service",
    "shipshape.dev/owner",
    "shipshape.dev/cost-center",
    "shipshape.dev/environment",
    "shipshape.dev/tier",
)
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
SECRETISH = re.compile(r"(password|passwd|secret|token|api[_-]?key|access[_-]?key)", re.I)


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in ("Deployment", "Rollout", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return spec.get("template", {}).get("spec")
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    return None


def pod_labels(obj: dict[str, Any]) -> dict[str, str] | None:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind in ("Deployment", "Rollout", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return spec.get("template", {}).get("metadata", {}).get("labels", {})
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    return None


def check(docs: list[dict[str, Any]], environment: str) -> list[str]:
    errors: list[str] = []
    kinds = {d.get("kind") for d in docs}
    for obj in docs:
        ref = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        labels = obj.get("metadata", {}).get("labels") or {}
        for scope, lbls in (("", labels), (" pod template", pod_labels(obj))):
            if lbls is None:
                continue
            for name in REQUIRED_LABELS:
                if not lbls.get(name):
                    errors.append(f"{ref}{scope}: missing label {name}")
            for name, value in lbls.items():
                if not LABEL_VALUE.match(str(value)) or len(str(value)) > 63:
                    errors.append(f"{ref}{scope}: label {name}={value!r} is not a valid label value")
        if labels.get("shipshape.dev/environment") not in (None, environment):
            errors.append(f"{ref}: environment label is {labels.get('shipshape.dev/environment')!r}")
        if obj.get("kind") in ("ConfigMap",):
            for key in (obj.get("data") or {}):
                if SECRETISH.search(key):
                    errors.append(f"{ref}: ConfigMap key {key!r} looks like a credential; use a Secret reference")
        if obj.get("kind") == "Secret":
            errors.append(f"{ref}: the chart must not create Secrets with values; reference existing ones")
        if obj.get("kind") == "ServiceAccount" and obj.get("automountServiceAccountToken") is not False:
            errors.append(f"{ref}: automountServiceAccountToken must be false")

        spec = pod_spec(obj)
        if spec is None:
            continue
        psc = spec.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True:
            errors.append(f"{ref}: pod securityContext.runAsNonRoot must be true")
        if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            errors.append(f"{ref}: pod seccompProfile must be RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            errors.append(f"{ref}: pod automountServiceAccountToken must be false")
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            cref = f"{ref} container {c.get('name')}"
            image = str(c.get("image", ""))
            tag = image.split("@")[0].rsplit(":", 1)[-1] if ":" in image.split("@")[0].split("/")[-1] else ""
            if not tag or tag == "latest":
                errors.append(f"{cref}: image {image!r} must carry a version tag other than latest")
            sc = c.get("securityContext") or {}
            if sc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{cref}: allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                errors.append(f"{cref}: readOnlyRootFilesystem must be true")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                errors.append(f"{cref}: capabilities must drop ALL")
            if not (c.get("resources") or {}).get("requests"):
                errors.append(f"{cref}: resource requests are required")
            if not ((c.get("resources") or {}).get("limits") or {}).get("memory"):
                errors.append(f"{cref}: a memory limit is required")
            for env in c.get("env") or []:
                if "value" in env and SECRETISH.search(env.get("name", "")):
                    errors.append(f"{cref}: env {env['name']} has a literal value; use a secretKeyRef")
        if obj.get("kind") in ("Deployment", "Rollout"):
            app = (spec.get("containers") or [{}])[0]
            if (app.get("livenessProbe") or {}).get("httpGet", {}).get("path") != "/health":
                errors.append(f"{ref}: livenessProbe must GET /health")
            if (app.get("readinessProbe") or {}).get("httpGet", {}).get("path") != "/ready":
                errors.append(f"{ref}: readinessProbe must GET /ready")
            keys = [t.get("topologyKey") for t in spec.get("topologySpreadConstraints") or []]
            if "topology.kubernetes.io/zone" not in keys:
                errors.append(f"{ref}: topologySpreadConstraints must spread over topology.kubernetes.io/zone")
    if not kinds & {"Deployment", "Rollout"}:
        errors.append("chart: no Deployment or Rollout rendered")
    for obj in docs:
        # a Rollout's analysis must be the chart's own AnalysisTemplate (the SLO error ratio)
        if obj.get("kind") == "Rollout":
            spec = obj.get("spec") or {}
            strategy = spec.get("strategy") or {}
            steps = (strategy.get("canary") or {}).get("steps") or []
            refs = [t.get("templateName") for s in steps for t in ((s.get("analysis") or {}).get("templates") or [])]
            refs += [t.get("templateName") for t in ((strategy.get("blueGreen") or {}).get("postPromotionAnalysis") or {}).get("templates") or []]
            names = {d["metadata"]["name"] for d in docs if d.get("kind") == "AnalysisTemplate"}
            if not refs:
                errors.append(f"Rollout/{obj['metadata']['name']}: no SLO analysis in its strategy")
            for r in refs:
                if r not in names:
                    errors.append(f"Rollout/{obj['metadata']['name']}: analysis template {r!r} is not rendered")
    for kind in ("Service", "Ingress", "HorizontalPodAutoscaler", "NetworkPolicy", "ServiceAccount"):
        if kind not in kinds:
            errors.append(f"chart: no {kind} rendered")
    for obj in docs:
        if obj.get("kind") == "Ingress" and not (obj.get("spec") or {}).get("tls"):
            errors.append(f"Ingress/{obj['metadata']['name']}: TLS is required")
    return errors


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("rendered")
    ap.add_argument("environment")
    ap.add_argument("--rules-out")
    ap.add_argument("--expect", action="append", default=[], help="a kind that must be present")
    ap.add_argument("--forbid", action="append", default=[], help="a kind that must be absent")
    args = ap.parse_args()
    with open(args.rendered, encoding="utf-8") as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d]
    errors = check(docs, args.environment)
    kinds = [d.get("kind") for d in docs]
    for kind in args.expect:
        if kind not in kinds:
            errors.append(f"chart: expected a {kind}")
    for kind in args.forbid:
        if kind in kinds:
            errors.append(f"chart: did not expect a {kind}")
    if args.rules_out:
        rules = [d for d in docs if d.get("kind") == "PrometheusRule"]
        if len(rules) != 1:
            errors.append(f"chart: expected exactly one PrometheusRule, got {len(rules)}")
        else:
            with open(args.rules_out, "w", encoding="utf-8") as out:
                yaml.safe_dump(rules[0]["spec"], out, sort_keys=False)
    for e in errors:
        print(f"  {e}", file=sys.stderr)
    print(f"check_manifests: {len(docs)} objects, {len(errors)} violations ({', '.join(sorted(set(map(str, kinds))))})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

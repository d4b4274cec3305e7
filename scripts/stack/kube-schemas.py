#!/usr/bin/env python3
"""Turns the local apiserver's /openapi/v2 document into standalone JSON schemas that
kubeconform reads offline:

  kube-schemas.py OPENAPI_V2_JSON OUT_DIR
  kubeconform -strict -schema-location 'OUT_DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json' FILE...

File names follow the usual layout: deployment-apps-v1.json, pod-v1.json,
networkpolicy-networking-v1.json. References are inlined (recursive ones become {}),
and with strict mode additionalProperties is false on every object with properties.
"""
import json
import os
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src) as f:
        doc = json.load(f)
    defs = doc.get("definitions", {})
    os.makedirs(out, exist_ok=True)

    def resolve(node, stack):
        if isinstance(node, list):
            return [resolve(x, stack) for x in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$ref"), str):
            name = node["$ref"].split("/")[-1]
            if name in stack or name not in defs:
                return {}
            return resolve(defs[name], stack | {name})
        res = {}
        for k, v in node.items():
            if k in ("x-kubernetes-group-version-kind",):
                continue
            res[k] = resolve(v, stack)
        if res.get("type") == "object" and "properties" in res and "additionalProperties" not in res:
            res["additionalProperties"] = False
        # int-or-string and quantities are strings or numbers
        if res.get("format") == "int-or-string":
            res.pop("type", None)
            res["oneOf"] = [{"type": "string"}, {"type": "integer"}]
        return res

    n = 0
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            schema = resolve(d, {name})
            # apiVersion/kind must be accepted with the values kubeconform passes
            schema.setdefault("properties", {})
            suffix = ("-" + group.split(".")[0] if group else "") + "-" + version
            fn = os.path.join(out, (kind + suffix).lower() + ".json")
            with open(fn, "w") as f:
                json.dump(schema, f)
            n += 1
    print("wrote %d schemas to %s" % (n, out))


if __name__ == "__main__":
    main()

"""Schemathesis hooks of scripts/fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

- Half of the generated requests of an entity route are sent to a real entity of the fuzz
  catalog (the examples plus scripts/fuzz/entities.yaml) instead of the generated
  kind/namespace/name, so that the fuzzer gets past "no such entity" into the routes' own
  checks (environment, kubernetes-id, the Kubernetes API, backup targets); the other half keep
  the generated (malformed and boundary) values. Environments are swapped for a configured one
  in some of those (and a deploy's tag for a valid one), for the same reason.
- Nothing may act: a POST goes to a real entity only on a route listed in DRY_RUN_ROUTES (each
  honours dryRun: plan, check, server-side dry run, nothing persisted) and only with a JSON
  object body whose dryRun is forced to true. Any other POST (another route, no body, not an
  object, another media type) keeps its generated entity, which does not exist, so it is
  refused before anything.
- Every request and its status is appended to $SHIPSHAPE_FUZZ_LOG (one JSON object a line) for
  scripts/fuzz/summary.py: the request count, the status histogram and each 5xx in full.
"""

import itertools
import json
import os
import threading

import schemathesis

ENTITIES = [
    tuple(ref.split("/"))
    for ref in os.environ.get(
        "SHIPSHAPE_FUZZ_ENTITIES",
        "component/default/payments-api component/default/orders-api",
    ).split()
]
ENVIRONMENTS = os.environ.get("SHIPSHAPE_FUZZ_ENVIRONMENTS", "staging production").split()
ENTITY_PARAMS = ("kind", "namespace", "name")
# The POST routes whose body has a dryRun that the route honours (openapi.yaml, and the routes).
DRY_RUN_ROUTES = {
    f"/entities/{{kind}}/{{namespace}}/{{name}}/{action}"
    for action in (
        "deploy",
        "rollback",
        "pause",
        "promote",
        "abort",
        "retry",
        "backups",
        "restore-drills",
    )
}

_lock = threading.Lock()
_turn = itertools.count()
_log = open(os.environ.get("SHIPSHAPE_FUZZ_LOG", os.devnull), "a", encoding="utf-8")


def _is_json_object_body(case) -> bool:
    content_type = case.headers.get("Content-Type") if case.headers else None
    return (
        isinstance(case.body, dict)
        and case.media_type == "application/json"
        and content_type in (None, "application/json")
    )


@schemathesis.hook
def before_call(context, case, kwargs):
    if not all(p in case.path_parameters for p in ENTITY_PARAMS):
        return
    _pin(case)
    # The guard: a request that may act never names a real entity unless it is a dry run (the
    # generator could make one up, too).
    if case.method.upper() != "GET" and not _is_dry_run(case):
        ref = tuple(str(case.path_parameters[p]).lower() for p in ENTITY_PARAMS)
        if ref in {tuple(p.lower() for p in e) for e in ENTITIES}:
            case.path_parameters = {**case.path_parameters, "name": "fuzz-absent-entity"}


def _is_dry_run(case) -> bool:
    return (
        case.path in DRY_RUN_ROUTES
        and _is_json_object_body(case)
        and case.body.get("dryRun") is True
    )


def _pin(case):
    """Sends every second request to a real entity (copies: generated cases share their dicts)."""
    with _lock:
        turn = next(_turn)
    if turn % 2:
        return  # keep the generated (malformed or boundary) entity reference
    if case.method.upper() != "GET":
        if case.path not in DRY_RUN_ROUTES or not _is_json_object_body(case):
            return  # cannot be forced to a dry run: leave it on a non-existent entity
        case.body = {**case.body, "dryRun": True}
    kind, namespace, name = ENTITIES[(turn // 2) % len(ENTITIES)]
    case.path_parameters = {
        **case.path_parameters,
        "kind": kind,
        "namespace": namespace,
        "name": name,
    }
    # Every third of these asks for a configured environment instead of the generated one, and
    # a deploy by tag for a valid tag, so that the server-side dry run of the patch is reached.
    if turn % 3 == 0:
        environment = ENVIRONMENTS[(turn // 3) % len(ENVIRONMENTS)]
        if isinstance(case.body, dict) and "environment" in case.body:
            case.body = {**case.body, "environment": environment}
            if case.path.endswith("/deploy") and "tag" in case.body:
                case.body["tag"] = f"fuzz-{turn}"
                case.body.pop("image", None)
                case.body.pop("container", None)
        if isinstance(case.query, dict) and "environment" in case.query:
            case.query = {**case.query, "environment": environment}


def _sent_dry_run(body) -> bool:
    """Whether the body sent is a JSON object whose dryRun is true."""
    try:
        sent = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return False
    return isinstance(sent, dict) and sent.get("dryRun") is True


@schemathesis.hook
def after_call(context, case, response):
    request = response.request
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    record = {
        "method": request.method,
        "operation": f"{case.method.upper()} {case.path}",
        "url": request.url,
        "status": response.status_code,
        "contentType": request.headers.get("Content-Type"),
        "body": body[:2000] if isinstance(body, str) else None,
        # read from the whole body sent: the copy above is cut at 2,000 characters, and the
        # forced dryRun comes last in it
        "dryRun": _sent_dry_run(body),
    }
    if response.status_code >= 500:
        record["response"] = response.content[:2000].decode("utf-8", "replace")
    with _lock:
        _log.write(json.dumps(record) + "\n")
        _log.flush()


@schemathesis.hook
def after_network_error(context, case, request):
    with _lock:
        _log.write(
            json.dumps(
                {
                    "method": request.method,
                    "operation": f"{case.method.upper()} {case.path}",
                    "url": request.url,
                    "status": 0,
                    "body": None,
                    "dryRun": _sent_dry_run(
                        request.body.decode("utf-8", "replace")
                        if isinstance(request.body, bytes)
                        else request.body
                    ),
                }
            )
            + "\n"
        )
        _log.flush()

"""``/_localcloud/faults``: list (GET), add (POST) and clear (DELETE) rules at runtime."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from localcloud.faults.registry import FaultRegistry
from localcloud.faults.rules import FaultRule
from localcloud.wsgi import Environ, read_body

CONTROL_PATH = "/_localcloud/faults"


def _json_reply(status: str, document: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    body = json.dumps(document).encode()
    return status, [("Content-Type", "application/json")], body


def control_reply(
    registry: FaultRegistry, environ: Environ
) -> tuple[str, list[tuple[str, str]], bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "GET":
        return _json_reply("200 OK", {"seed": registry.seed, "rules": registry.snapshot()})
    if method == "DELETE":
        return _delete(registry, parse_qs(environ.get("QUERY_STRING", "")).get("id"))
    if method != "POST":
        return _json_reply("405 Method Not Allowed", {"message": "GET, POST or DELETE"})
    try:
        document = json.loads(read_body(environ) or b"{}")
        if isinstance(document, dict) and "rules" in document:
            if "seed" in document:
                registry.reseed(document["seed"])
            document = document["rules"]
        documents = document if isinstance(document, list) else [document]
        rules = [FaultRule.from_dict(item) for item in documents]
    except (ValueError, TypeError, AttributeError) as error:
        return _json_reply("400 Bad Request", {"message": str(error)})
    ids = [registry.add(rule) for rule in rules]
    return _json_reply("201 Created", {"ids": ids, "rules": registry.snapshot()})


def _delete(
    registry: FaultRegistry, ids: list[str] | None
) -> tuple[str, list[tuple[str, str]], bytes]:
    if not ids:
        registry.clear()
        return _json_reply("200 OK", {"removed": "all"})
    if not all(i.strip().isdigit() for i in ids):
        return _json_reply("400 Bad Request", {"message": f"id must be a number: {ids}"})
    removed = [int(i) for i in ids if registry.remove(int(i))]
    return _json_reply("200 OK", {"removed": removed})

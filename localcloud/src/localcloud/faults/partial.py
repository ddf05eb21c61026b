"""Partial answers: the items of a batch a rule holds back, and moto's answer with them added."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from typing import Any

from localcloud.faults.rules import FaultRule


def hold_back(
    entries: list[Any], rule: FaultRule, rng: random.Random, render: Callable[[Any], str]
) -> list[bool]:
    """Which entries to answer as unprocessed/failed: those containing ``match`` if any does
    (a poison key), else a random ``fraction`` of them (at least one)."""
    if rule.match is not None:
        named = [rule.match in render(entry) for entry in entries]
        if any(named):
            return named
    held = [rng.random() < rule.fraction for _ in entries]
    if entries and not any(held):
        held[rng.randrange(len(entries))] = True
    return held


def split_batch_write(
    document: dict[str, Any], rule: FaultRule, rng: random.Random
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """RequestItems -> (forwarded, unprocessed), both by table."""
    forwarded: dict[str, list[Any]] = {}
    unprocessed: dict[str, list[Any]] = {}
    for table, requests in (document.get("RequestItems") or {}).items():
        held = hold_back(list(requests), rule, rng, json.dumps)
        for request, hold in zip(requests, held, strict=True):
            (unprocessed if hold else forwarded).setdefault(table, []).append(request)
    return forwarded, unprocessed


def split_send_batch(
    document: dict[str, Any], rule: FaultRule, rng: random.Random
) -> tuple[list[Any], list[Any]]:
    entries = list(document.get("Entries") or [])
    held = hold_back(entries, rule, rng, json.dumps)
    return (
        [e for e, hold in zip(entries, held, strict=True) if not hold],
        [e for e, hold in zip(entries, held, strict=True) if hold],
    )


def amz_json(status: str, document: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    # DynamoDB and SQS both speak JSON 1.0.
    body = json.dumps(document).encode()
    return (
        status,
        [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", str(uuid.uuid4()))],
        body,
    )


def merge_answer(
    status: str, headers: list[tuple[str, str]], body: bytes, key: str, extra: Any
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Add held-back items to moto's own answer (only when moto answered 200)."""
    if not status.startswith("200"):
        return status, headers, body
    document = json.loads(body or b"{}")
    if isinstance(extra, dict):
        merged: dict[str, list[Any]] = dict(document.get(key) or {})
        for table, items in extra.items():
            merged[table] = [*merged.get(table, []), *items]
        document[key] = merged
    else:
        document[key] = [*(document.get(key) or []), *extra]
    return status, headers, json.dumps(document).encode()

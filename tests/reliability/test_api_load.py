"""Scenario h: a bounded load on the API front, 100 connections (half fresh per request, half
keep-alive), signed POST /inbox for ``API_LOAD_SECONDS`` (default 3; ``make soak``: 60).

No connection may be reset or time out, every answer is 200 or 429 (the integration pool is
full: the client backs off and resends), and every message answered 200 must reach OutputQueue
through the real forwarder (or InputQueueDLQ): 0 accepted but undelivered. Counted through SQS,
not GET /outbox, so the outbox contract can change without touching this. Each id is counted
as often as it arrives: no fault is injected, so a second copy (at-least-once redelivery) would be
a defect of the front or the forwarder, reported as ``duplicated``.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from botocore.credentials import Credentials

from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from stackclient.http import SignedApi
from stackclient.stack import Stack
from tests.reliability.api_load import run_load
from tests.reliability.faults_and_tallies import Summary, drain_queue

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

REGION = "us-east-1"
CONNECTIONS = 100


def _ids_from(messages: list[Any]) -> list[str]:
    return [str(json.loads(message["Body"]).get("id")) for message in messages]


def _collect(
    sqs: Any, queue_url: str, wanted: set[str], timeout_s: float
) -> tuple[Counter[str], int]:
    """Drain the queue until every wanted id arrived (or the time is up), then until it stays
    quiet for 3 s (late copies count too): (copies of each wanted id, others)."""
    found: Counter[str] = Counter()
    others = 0
    deadline = time.monotonic() + timeout_s
    while wanted - set(found) and time.monotonic() < deadline:
        for message_id in _ids_from(drain_queue(sqs, queue_url, quiet_s=3, limit_s=30)):
            if message_id in wanted:
                found[message_id] += 1
            else:
                others += 1
    return found, others


def test_h_api_front_under_load_resets_nothing_and_delivers_what_it_accepted(
    api: SignedApi, stack: Stack, clients: dict[str, Any], report: Any
) -> None:
    seconds = float(os.environ.get("API_LOAD_SECONDS", "3"))
    run_id = f"load-{uuid.uuid4().hex[:8]}"

    result = run_load(
        f"{api.base_url}/inbox",
        region=REGION,
        credentials=Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY),
        connections=CONNECTIONS,
        seconds=seconds,
        run_id=run_id,
    )
    accepted = result.accepted
    drain_started = time.monotonic()
    copies, others = _collect(
        clients["sqs"], stack.output("OutputQueueUrl"), accepted, timeout_s=60 + seconds * 4
    )
    delivered = set(copies)
    dlq_copies, _ = _collect(
        clients["sqs"], stack.output("InputQueueDLQUrl"), accepted - delivered, 5
    )
    dlq = set(dlq_copies)
    lost = accepted - delivered - dlq
    duplicated = sum(n - 1 for n in (copies + dlq_copies).values())
    drained_s = time.monotonic() - drain_started
    report(
        Summary(
            scenario="h_api_load",
            sent=len(accepted),
            written=len(delivered),
            in_dlq=len(dlq),
            lost=len(lost),
            duplicated=duplicated,
            dlq_name="InputQueueDLQ",
            details=[
                f"{CONNECTIONS} connections for {seconds:.0f} s, half fresh per request "
                f"({result.by_mode['fresh']} accepted), half keep-alive "
                f"({result.by_mode['keep-alive']} accepted), {result.connections} opened",
                f"{result.requests} requests, statuses {dict(sorted(result.statuses.items()))}, "
                f"{result.resets.total()} resets, {result.timeouts} timeouts",
                f"{len(accepted) / result.seconds:.0f} accepted/s",
                f"all delivered {drained_s:.0f} s after the load",
                f"{others} OutputQueue messages not ours",
            ],
            seconds=result.seconds,
        )
    )
    assert result.resets.total() == 0, dict(result.resets)
    assert result.timeouts == 0
    assert set(result.statuses) <= {200, 429}, dict(result.statuses)
    assert result.by_mode["fresh"] > 0
    assert result.by_mode["keep-alive"] > 0
    assert not lost, f"accepted but never delivered: {sorted(lost)[:5]}"
    assert duplicated == 0, [i for i, n in copies.items() if n > 1][:5]

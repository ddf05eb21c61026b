"""Scenario g: the API front's own SQS call fails. 30% of POST /inbox's SendMessage calls are
throttled and 10% more answer SQS's HTTP 500 (fault rules with ``source: "api"``: the functions'
calls run clean).

Promises checked: POST /inbox answers 200 with a MessageId or 503 ``{"message": "Service
Unavailable"}``, nothing else; every 200 reaches the output queue exactly once; no message that got
a 503 ever does. The output queue is read directly (SQS), not through GET /outbox: what is checked
is what the API promised, not how the outbox hands it out.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from stackclient.http import SignedApi
from stackclient.stack import Stack
from tests.reliability.conftest import Sizes
from tests.reliability.faults_and_tallies import FaultControl, Summary, describe_hits

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

QUIET_S = 3.0  # after the last expected id: long enough for a late duplicate or a refused one


def _read_output_queue(sqs: Any, queue_url: str, prefix: str, expected: set[str]) -> Counter[str]:
    """Receive and delete our messages until every expected id came and the queue stayed quiet."""
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + 120
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        ours = [m for m in batch if json.loads(m["Body"]).get("id", "").startswith(prefix)]
        for message in ours:
            counts[json.loads(message["Body"])["id"]] += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        if ours:
            quiet_since = time.monotonic()
        elif set(counts) >= expected and time.monotonic() - quiet_since >= QUIET_S:
            break
    return counts


def test_g_sqs_failures_behind_post_inbox_never_answer_200_for_a_lost_message(
    stack: Stack,
    clients: dict[str, Any],
    api: SignedApi,
    clean_faults: FaultControl,
    report: Any,
    sizes: Sizes,
) -> None:
    clean_faults.add(
        {
            "service": "sqs",
            "operation": "SendMessage",
            "kind": "throttle",
            "probability": 0.3,
            "source": "api",
        },
        {
            "service": "sqs",
            "operation": "SendMessage",
            "kind": "error",
            "probability": 0.15,  # of what the throttle rule let through: ~10% of all
            "source": "api",
        },
    )
    prefix = f"g-{uuid.uuid4().hex[:10]}-"
    ids = [f"{prefix}{i}" for i in range(sizes.messages)]
    started = time.monotonic()

    def post(message_id: str) -> tuple[str, int, Any]:
        response = api.request("POST", "/inbox", json_body={"id": message_id, "message": "g"})
        return message_id, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, ids))
    accepted = {i for i, status, _ in answers if status == 200}
    refused = {i for i, status, _ in answers if status == 503}
    counts = _read_output_queue(clients["sqs"], stack.output("OutputQueueUrl"), prefix, accepted)
    statuses = Counter(status for _, status, _ in answers)
    rules = clean_faults.rules()

    lost = accepted - set(counts)
    summary = Summary(
        scenario="g_api_integration_faults",
        sent=len(accepted),
        written=len(set(counts) & accepted),
        in_dlq=0,
        lost=len(lost),
        duplicated=sum(n - 1 for n in counts.values() if n > 1),
        dlq_name="none",
        details=[
            f"{len(ids)} POSTs, statuses {dict(sorted(statuses.items()))}",
            f"faults {describe_hits(rules)}",
            f"{len(refused & set(counts))} refused ones delivered",
        ],
        seconds=time.monotonic() - started,
    )
    report(summary)

    assert set(statuses) <= {200, 503}, statuses
    assert all(body.get("messageId") for _, status, body in answers if status == 200)
    assert all(body == {"message": "Service Unavailable"} for _, s, body in answers if s == 503)
    assert refused, "no fault fired: the scenario proved nothing"
    assert sum(rule["hits"] for rule in rules) == len(refused)
    assert not lost, sorted(lost)
    assert not refused & set(counts), sorted(refused & set(counts))
    assert summary.duplicated == 0

"""Inbox/outbox, end to end: signed POST /inbox -> SQS -> Lambda -> SQS -> GET /outbox.

The outbox is one shared queue and GET /outbox consumes what it returns, so every test in this
module reads it through one session-wide reader that files messages by id: tests never steal
each other's messages. Under pytest-xdist they share a group for the same reason.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from stackclient.http import SignedApi
from stackclient.queues import take_matching
from stackclient.stack import Stack

pytestmark = pytest.mark.xdist_group("outbox")

ATTEMPTS = int(os.environ.get("OUTBOX_POLL_ATTEMPTS", "60"))
INTERVAL_S = float(os.environ.get("OUTBOX_POLL_INTERVAL_SECONDS", "1"))


class OutboxReader:
    def __init__(self, api: SignedApi) -> None:
        self.api = api
        self.seen: dict[str, dict[str, Any]] = {}

    def wait_for(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        for _ in range(ATTEMPTS):
            if ids <= self.seen.keys():
                break
            response = self.api.request("GET", "/outbox", params={"max": "10"})
            assert response.status_code == 200, response.text
            messages = response.json()["messages"]
            for message in messages:
                self.seen[message["id"]] = message
            if not messages:
                time.sleep(INTERVAL_S)
        missing = ids - self.seen.keys()
        assert not missing, f"not in the outbox after {ATTEMPTS} polls: {sorted(missing)}"
        return {i: self.seen[i] for i in ids}


@pytest.fixture(scope="module")
def outbox(api: SignedApi) -> OutboxReader:
    return OutboxReader(api)


def _post(api: SignedApi, body: dict[str, Any]) -> str:
    response = api.request("POST", "/inbox", json_body=body)
    assert response.status_code == 200, response.text
    message_id: str = response.json()["messageId"]
    assert message_id
    return message_id


def test_posted_messages_come_back_from_the_outbox(
    api: SignedApi, outbox: OutboxReader, unique: str
) -> None:
    sent = {
        f"{unique}-{i}": {"id": f"{unique}-{i}", "message": f"hello {i} ✓", "type": "greeting"}
        for i in range(3)
    }
    for body in sent.values():
        _post(api, body)

    received = outbox.wait_for(set(sent))

    for message_id, body in sent.items():
        assert received[message_id]["message"] == body["message"]
        assert received[message_id]["type"] == body["type"]


@pytest.mark.parametrize(
    "body",
    [
        {"message": "no id"},
        {"id": "only-id"},
        {"id": "x", "message": "extra", "unexpected": True},
        {"id": "x", "message": 5},
        {"id": "has spaces", "message": "bad id"},
        {"id": "x", "message": ""},
        {"id": "x" * 129, "message": "id too long"},
    ],
    ids=["no-id", "no-message", "extra-field", "wrong-type", "bad-id", "empty", "long-id"],
)
def test_invalid_body_is_400_with_a_message(api: SignedApi, body: dict[str, Any]) -> None:
    response = api.request("POST", "/inbox", json_body=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"]


def test_non_json_body_is_400(api: SignedApi) -> None:
    response = api.request(
        "POST", "/inbox", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(("method", "path"), [("POST", "/inbox"), ("GET", "/outbox")])
def test_unsigned_requests_are_403(api: SignedApi, method: str, path: str) -> None:
    body = {"id": "unsigned", "message": "never accepted"} if method == "POST" else None
    response = api.request(method, path, json_body=body, sign=False)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("max_value", ["0", "11", "abc", "-1"])
def test_outbox_rejects_bad_max(api: SignedApi, max_value: str) -> None:
    response = api.request("GET", "/outbox", params={"max": max_value})
    assert response.status_code == 400, response.text
    assert response.json()["message"]


def test_malformed_marked_message_reaches_the_dlq_and_neighbours_the_outbox(
    api: SignedApi, outbox: OutboxReader, sqs: Any, stack: Stack, unique: str, sla_s: float
) -> None:
    good = [f"{unique}-good-{i}" for i in range(2)]
    poison = f"{unique}-poison"
    _post(api, {"id": good[0], "message": "before"})
    _post(api, {"id": poison, "message": "reject me", "type": "malformed"})
    _post(api, {"id": good[1], "message": "after"})

    outbox.wait_for(set(good))
    dead = take_matching(
        sqs,
        stack.output("InputQueueDLQUrl"),
        lambda m: json.loads(m["Body"]).get("id") == poison,
        expected=1,
        timeout_s=sla_s,
    )

    assert len(dead) == 1
    assert json.loads(dead[0]["Body"])["type"] == "malformed"
    assert poison not in outbox.seen


def test_a_body_sqs_refuses_is_413_and_never_delivered(
    api: SignedApi, outbox: OutboxReader, unique: str
) -> None:
    # Valid JSON padded with 2 MB of whitespace: under API Gateway's 10 MB, over SQS's 1 MiB.
    refused = json.dumps({"id": f"{unique}-padded", "message": "too big once padded"})
    response = api.request(
        "POST",
        "/inbox",
        data=refused.encode() + b" " * 2_000_000,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["message"]

    _post(api, {"id": f"{unique}-after", "message": "sent after the refused one"})
    outbox.wait_for({f"{unique}-after"})

    assert f"{unique}-padded" not in outbox.seen


def test_a_message_with_characters_sqs_refuses_raw_is_still_delivered(
    api: SignedApi, outbox: OutboxReader, unique: str
) -> None:
    # Escaped in the POST body, U+FFFF is ASCII to SQS; parsed, it is a character SQS refuses, so
    # the function must forward it escaped too, or every retry fails and it ends in the DLQ.
    body = {"id": f"{unique}-nonchar", "message": "a\uffffb\ufffe"}
    _post(api, body)

    received = outbox.wait_for({body["id"]})

    assert received[body["id"]]["message"] == body["message"]

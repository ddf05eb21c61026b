"""Inbox/outbox, end to end: signed POST /inbox -> SQS -> Lambda -> SQS -> GET /outbox.

The outbox is one shared queue. Reading leases and only an acknowledgement deletes, so this
module reads it through one reader per process that acknowledges only messages carrying this
process's run token and releases everything else at once: it cannot take anyone's message, and
nobody can take its. Every test of the suite that reads the outbox (here, the README example,
the demo) holds the ``outbox_turn`` lock while it does, so no other reader's reads count towards
a waiting message's receives (five unacknowledged reads send it to OutputQueueDLQ).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
import requests

from stackclient.http import SignedApi
from stackclient.outbox import Message, OutboxReader
from stackclient.polling import wait_until
from stackclient.queues import queue_depth, take_matching
from stackclient.stack import Stack

pytestmark = pytest.mark.usefixtures("outbox_turn")

ATTEMPTS = int(os.environ.get("OUTBOX_POLL_ATTEMPTS", "60"))
INTERVAL_S = float(os.environ.get("OUTBOX_POLL_INTERVAL_SECONDS", "1"))
LEASE_S = 3  # short, so the tests of unacknowledged messages wait little


class Outbox:
    """The module's one reader, with deadline-bounded waiting."""

    def __init__(self, api: SignedApi, run_token: str) -> None:
        self.reader = OutboxReader(
            api, lambda m: str(m.get("id") or "").startswith(run_token), lease_s=LEASE_S
        )
        self.by_id: dict[str, Message] = {}
        self.redelivered: list[Message] = []

    def poll(self) -> bool:
        """One read, filed; True when it brought anything of ours."""
        page = self.reader.read()
        for message in page.ours:
            self.by_id[message["id"]] = message
        self.redelivered += page.duplicates
        return bool(page.ours or page.duplicates or page.more)

    def wait_for(self, ids: set[str]) -> dict[str, Message]:
        for _ in range(ATTEMPTS):
            if ids <= self.by_id.keys():
                break
            if not self.poll():
                time.sleep(INTERVAL_S)
        missing = ids - self.by_id.keys()
        assert not missing, f"not in the outbox after {ATTEMPTS} polls: {sorted(missing)}"
        return {i: self.by_id[i] for i in ids}


@pytest.fixture(scope="module")
def outbox(api: SignedApi, run_token: str) -> Outbox:
    return Outbox(api, run_token)


def _post(api: SignedApi, body: dict[str, Any]) -> str:
    response = api.request("POST", "/inbox", json_body=body)
    assert response.status_code == 200, response.text
    message_id: str = response.json()["messageId"]
    assert message_id
    return message_id


def test_posted_messages_come_back_with_the_message_id_post_answered(
    api: SignedApi, outbox: Outbox, unique: str
) -> None:
    sent = {
        f"{unique}-{i}": {"id": f"{unique}-{i}", "message": f"hello {i} ✓", "type": "greeting"}
        for i in range(3)
    }
    message_ids = {caller_id: _post(api, body) for caller_id, body in sent.items()}

    received = outbox.wait_for(set(sent))

    for caller_id, body in sent.items():
        assert received[caller_id]["message"] == body["message"]
        assert received[caller_id]["type"] == body["type"]
        assert received[caller_id]["messageId"] == message_ids[caller_id]
        assert received[caller_id]["received_at"]


def test_a_read_whose_response_never_arrives_loses_no_message(
    api: SignedApi, outbox: Outbox, sqs: Any, stack: Stack, unique: str, sla_s: float
) -> None:
    """The client sends GET /outbox and goes away: the lease runs out and the message is back.

    Before leases, this read deleted the message and nobody ever saw it.
    """
    queue_url = stack.output("OutputQueueUrl")
    message_id = _post(api, {"id": unique, "message": "read by a client that went away"})
    # Only this module's group reads the outbox, and earlier tests acknowledged theirs.
    wait_until(
        lambda: queue_depth(sqs, queue_url),
        lambda depth: depth[0] >= 1,
        description="message in the output queue",
        timeout_s=sla_s,
    )

    with pytest.raises(requests.exceptions.ReadTimeout):  # the request went out, no answer read
        api.request(
            "GET", "/outbox", params={"lease": str(LEASE_S), "max": "10"}, timeout_s=(5, 0.001)
        )
    wait_until(
        lambda: queue_depth(sqs, queue_url),
        lambda depth: depth[1] >= 1,
        description="the abandoned read leased it",
        timeout_s=10,
    )

    received = outbox.wait_for({unique})

    assert received[unique]["messageId"] == message_id


def test_acknowledged_messages_never_come_back(api: SignedApi, outbox: Outbox, unique: str) -> None:
    _post(api, {"id": unique, "message": "acknowledged once"})
    outbox.wait_for({unique})

    time.sleep(LEASE_S + 1)  # past the lease it was read under
    for _ in range(3):
        outbox.poll()

    assert not [m for m in outbox.redelivered if m["id"] == unique]


def test_seven_65536_emoji_messages_come_out_in_responses_under_6_mb(
    api: SignedApi, outbox: Outbox, sqs: Any, stack: Stack, unique: str
) -> None:
    """6.4 MB in one response before (Lambda refuses it: 502, after the delete); now pages.

    Written to the output queue as the process-input function writes them, so this does not
    depend on how POST /inbox counts 65,536 emoji.
    """
    emoji = "\N{GRINNING FACE}" * 65_536
    ids = {f"{unique}-{i}" for i in range(7)}
    for caller_id in sorted(ids):
        body = {
            "id": caller_id,
            "message": emoji,
            "type": None,
            "received_at": "2026-01-01T00:00:00Z",
            "inbox_message_id": f"inbox-{caller_id}",
        }
        sqs.send_message(
            QueueUrl=stack.output("OutputQueueUrl"),
            MessageBody=json.dumps(body, ensure_ascii=False),
        )

    received = outbox.wait_for(ids)

    assert {m["message"] for m in received.values()} == {emoji}
    assert {m["messageId"] for m in received.values()} == {f"inbox-{i}" for i in ids}


def test_an_unknown_receipt_is_reported_not_a_server_error(api: SignedApi) -> None:
    for path, key in (("/outbox/acks", "acknowledged"), ("/outbox/releases", "released")):
        response = api.request("POST", path, json_body={"receipts": ["not-a-receipt"]})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer[key] == []
        assert [f["receipt"] for f in answer["failed"]] == ["not-a-receipt"]
        assert answer["failed"][0]["code"]


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


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/inbox"),
        ("GET", "/outbox"),
        ("POST", "/outbox/acks"),
        ("POST", "/outbox/releases"),
    ],
)
def test_unsigned_requests_are_403(api: SignedApi, method: str, path: str) -> None:
    bodies = {"/inbox": {"id": "unsigned", "message": "never accepted"}, "/outbox": None}
    body = bodies.get(path, {"receipts": ["r"]})
    response = api.request(method, path, json_body=body, sign=False)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    "params",
    [
        {"max": "0"},
        {"max": "11"},
        {"max": "abc"},
        {"max": "-1"},
        {"lease": "0"},
        {"lease": "43201"},
    ],
)
def test_outbox_rejects_bad_max_and_lease(api: SignedApi, params: dict[str, str]) -> None:
    response = api.request("GET", "/outbox", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["message"]


@pytest.mark.parametrize("path", ["/outbox/acks", "/outbox/releases"])
@pytest.mark.parametrize(
    "body",
    [{}, {"receipts": []}, {"receipts": ["r", "r"]}, {"receipts": [f"r{i}" for i in range(11)]}],
    ids=["no-receipts", "zero", "duplicates", "eleven"],
)
def test_bad_receipt_bodies_are_400_from_the_gateway(api: SignedApi, path: str, body: Any) -> None:
    response = api.request("POST", path, json_body=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Invalid request body"


def test_malformed_marked_message_reaches_the_dlq_and_neighbours_the_outbox(
    api: SignedApi, outbox: Outbox, sqs: Any, stack: Stack, unique: str, sla_s: float
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
    assert poison not in outbox.by_id


def test_a_body_sqs_refuses_is_413_and_never_delivered(
    api: SignedApi, outbox: Outbox, unique: str
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

    assert f"{unique}-padded" not in outbox.by_id


@pytest.mark.parametrize(
    "overridden",
    ['"\\udbd9\\u0083"', "[" * 300 + "]" * 300],
    ids=["lone-surrogate", "nested-300-deep"],
)
def test_a_duplicate_name_is_delivered_whatever_its_overridden_value_held(
    api: SignedApi, outbox: Outbox, unique: str, overridden: str
) -> None:
    # API Gateway's parser lets the last duplicate win; the function's must not refuse the body
    # for what the first held (it did: InputQueueDLQ, after POST /inbox had answered 200).
    caller_id = f"{unique}-{len(overridden)}"
    text = f'{{"message": {overridden}, "id": "{caller_id}", "message": "the last one"}}'
    response = api.request(
        "POST", "/inbox", data=text.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text

    received = outbox.wait_for({caller_id})

    assert received[caller_id]["message"] == "the last one"
    assert received[caller_id]["messageId"] == response.json()["messageId"]


def test_a_message_with_characters_sqs_refuses_raw_is_still_delivered(
    api: SignedApi, outbox: Outbox, unique: str
) -> None:
    # Escaped in the POST body, U+FFFF is ASCII to SQS; parsed, it is a character SQS refuses, so
    # the function must forward it escaped too, or every retry fails and it ends in the DLQ.
    body = {"id": f"{unique}-nonchar", "message": "a\uffffb\ufffe"}
    _post(api, body)

    received = outbox.wait_for({body["id"]})

    assert received[body["id"]]["message"] == body["message"]

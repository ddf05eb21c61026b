"""awscurl against the inbox/outbox API, signing for execute-api with the exported credentials."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from tests.conformance.runners import Awscurl
from tests.esm.esm_support import wait_until

CLIENT = "awscurl"


def _round_trip(awscurl: Awscurl, api_url: str) -> None:
    """POST /inbox, find the message in GET /outbox, ack it."""
    unique = f"awscurl-{uuid.uuid4().hex}"
    posted = awscurl("POST", f"{api_url}/inbox", {"id": unique, "message": "from awscurl"})
    assert posted.returncode == 0, str(posted)
    message_id = posted.json()["messageId"]

    found: list[dict[str, Any]] = []

    def read() -> bool:
        page = awscurl("GET", f"{api_url}/outbox?lease=5&max=10")
        assert page.returncode == 0, str(page)
        messages = page.json()["messages"]
        found.extend(m for m in messages if m["id"] == unique)
        others = [m["receipt"] for m in messages if m["id"] != unique]
        if others:  # not ours: back to their owners at once
            awscurl("POST", f"{api_url}/outbox/releases", {"receipts": others})
        return bool(found)

    wait_until(read, 60, "the message in the outbox")
    assert found[0]["messageId"] == message_id
    assert found[0]["message"] == "from awscurl"
    acked = awscurl("POST", f"{api_url}/outbox/acks", {"receipts": [found[0]["receipt"]]})
    assert acked.returncode == 0, str(acked)
    assert json.loads(acked.stdout)["failed"] == []


@pytest.mark.conformance(client=CLIENT, operation="POST /inbox → GET /outbox → POST /outbox/acks")
def test_a_posted_message_comes_out_of_the_outbox(awscurl: Awscurl, api_url: str) -> None:
    _round_trip(awscurl, api_url)


@pytest.mark.conformance(
    client=CLIENT, operation="POST /inbox → GET /outbox → acks, the execute-api URL (proxy mode)"
)
def test_the_execute_api_url_works_through_the_proxy(
    awscurl_via_proxy: Awscurl, execute_api_url: str
) -> None:
    assert execute_api_url.startswith("https://") and ".amazonaws.com/" in execute_api_url
    _round_trip(awscurl_via_proxy, execute_api_url)


@pytest.mark.conformance(client=CLIENT, operation="GET /outbox at the front's /{stage}/… form")
def test_the_stage_form_reaches_the_only_api(awscurl: Awscurl, stage_url: str) -> None:
    page = awscurl("GET", f"{stage_url}/outbox?lease=1&max=1")
    assert page.returncode == 0, str(page)
    assert isinstance(page.json()["messages"], list), str(page)
    for message in page.json()["messages"]:  # back to its owner at once
        awscurl("POST", f"{stage_url}/outbox/releases", {"receipts": [message["receipt"]]})


@pytest.mark.conformance(client=CLIENT, operation="POST /inbox with a bad body → 400 message")
def test_a_bad_body_is_a_400_with_a_message(awscurl: Awscurl, api_url: str) -> None:
    # awscurl exits 0 whatever the status; --include prints the headers (a Python dict) first.
    done = awscurl("POST", f"{api_url}/inbox", {"no": "message"}, "--include")
    assert done.returncode == 0, str(done)
    headers, body = done.stdout.split("\n\n", 1)
    assert "'x-amzn-ErrorType': 'BadRequestException'" in headers, str(done)
    assert json.loads(body)["message"] == "Invalid request body"

"""requests + requests-aws4auth against the inbox/outbox API (in-process, as a user's script)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from requests_aws4auth import AWS4Auth
from tests.esm.esm_support import wait_until

CLIENT = "requests-aws4auth"


@pytest.mark.conformance(client=CLIENT, operation="POST /inbox → GET /outbox → POST /outbox/acks")
def test_a_posted_message_comes_out_of_the_outbox(
    signed_requests: requests.Session, api_url: str
) -> None:
    _round_trip(signed_requests, api_url)


@pytest.mark.conformance(
    client=CLIENT, operation="POST /inbox → GET /outbox → acks, the execute-api URL (proxy mode)"
)
def test_the_execute_api_url_works_through_the_proxy(
    signed_requests_via_proxy: requests.Session, execute_api_url: str
) -> None:
    _round_trip(signed_requests_via_proxy, execute_api_url)


def _round_trip(signed_requests: requests.Session, api_url: str) -> None:
    """POST /inbox, find the message in GET /outbox, ack it."""
    unique = f"aws4auth-{uuid.uuid4().hex}"
    posted = signed_requests.post(
        f"{api_url}/inbox", json={"id": unique, "message": "from requests"}, timeout=30
    )
    assert posted.status_code == 200, posted.text
    message_id = posted.json()["messageId"]

    found: list[dict[str, Any]] = []

    def read() -> bool:
        page = signed_requests.get(
            f"{api_url}/outbox", params={"lease": "5", "max": "10"}, timeout=30
        )
        assert page.status_code == 200, page.text
        messages = page.json()["messages"]
        found.extend(m for m in messages if m["id"] == unique)
        others = [m["receipt"] for m in messages if m["id"] != unique]
        if others:  # not ours: back to their owners at once
            signed_requests.post(
                f"{api_url}/outbox/releases", json={"receipts": others}, timeout=30
            )
        return bool(found)

    wait_until(read, 60, "the message in the outbox")
    assert found[0]["messageId"] == message_id
    acked = signed_requests.post(
        f"{api_url}/outbox/acks", json={"receipts": [found[0]["receipt"]]}, timeout=30
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["failed"] == []


@pytest.mark.conformance(client=CLIENT, operation="a request signed with a wrong secret → 403")
def test_a_wrong_secret_is_refused(api_url: str, user_env: dict[str, str]) -> None:
    auth = AWS4Auth(user_env["AWS_ACCESS_KEY_ID"], "not-the-secret", "us-east-1", "execute-api")
    answer = requests.get(f"{api_url}/outbox", auth=auth, timeout=30)
    assert answer.status_code == 403, answer.text
    assert "message" in answer.json()

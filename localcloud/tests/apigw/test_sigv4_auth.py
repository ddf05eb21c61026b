"""AWS_IAM over real HTTP: the front verifies SigV4 against the local credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import botocore.auth
import pytest
import requests
from tests.apigw.apigw_support import Deployed, send, take_messages

MISMATCH = "The request signature we calculated does not match the signature you provided."


@pytest.mark.parametrize(("method", "path"), [("POST", "/inbox"), ("GET", "/outbox")])
def test_unsigned_requests_are_missing_a_token(api: Deployed, method: str, path: str) -> None:
    response = send(
        method, f"{api.base_url}{path}", json_body={"id": "u", "message": "m"}, sign=False
    )

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert api.function.calls == []


def test_a_wrong_secret_is_a_signature_mismatch(api: Deployed, sqs: Any) -> None:
    response = send(
        "POST", f"{api.base_url}/inbox", json_body={"id": "w", "message": "m"}, secret="wrong"
    )

    assert response.status_code == 403
    assert response.json()["message"].startswith(MISMATCH)
    assert take_messages(sqs, api.queue_url) == []


def test_an_unknown_access_key_is_an_invalid_token(api: Deployed) -> None:
    response = send("GET", f"{api.base_url}/outbox", access_key="AKIDNOTLOCAL")

    assert response.status_code == 403
    assert response.json() == {"message": "The security token included in the request is invalid."}
    assert api.function.calls == []


def test_a_tampered_body_fails_the_signature(api: Deployed, sqs: Any) -> None:
    def swap_body(prepared: requests.PreparedRequest) -> None:
        prepared.body = b'{"id": "evil", "message": "swapped"}'
        prepared.headers["Content-Length"] = str(len(prepared.body))

    response = send(
        "POST",
        f"{api.base_url}/inbox",
        json_body={"id": "good", "message": "original"},
        tamper=swap_body,
    )

    assert response.status_code == 403
    assert response.json()["message"].startswith(MISMATCH)
    assert take_messages(sqs, api.queue_url) == []


def test_a_tampered_query_fails_the_signature(api: Deployed) -> None:
    def change_query(prepared: requests.PreparedRequest) -> None:
        prepared.url = str(prepared.url).replace("max=1", "max=9")

    response = send("GET", f"{api.base_url}/outbox", params={"max": "1"}, tamper=change_query)

    assert response.status_code == 403
    assert response.json()["message"].startswith(MISMATCH)


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=-6), timedelta(minutes=6)], ids=["old", "future"]
)
def test_signatures_outside_five_minutes_are_rejected(api: Deployed, skew: timedelta) -> None:
    signed_at = datetime.now(UTC) + skew
    with patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
        response = send("GET", f"{api.base_url}/outbox")

    assert response.status_code == 403
    assert response.json()["message"].startswith(
        "Signature expired" if skew < timedelta(0) else "Signature not yet current"
    )
    assert api.function.calls == []


def test_a_signature_within_the_skew_is_accepted(api: Deployed) -> None:
    signed_at = datetime.now(UTC) - timedelta(minutes=4)
    with patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
        response = send("GET", f"{api.base_url}/outbox")

    assert response.status_code == 200, response.text


def test_a_signature_for_another_region_is_rejected(api: Deployed) -> None:
    response = send("GET", f"{api.base_url}/outbox", region="eu-west-1")

    assert response.status_code == 403
    assert "region" in response.json()["message"]


def test_a_garbled_authorization_header_is_403_not_5xx(api: Deployed) -> None:
    response = send(
        "GET", f"{api.base_url}/outbox", sign=False, headers={"Authorization": "Bearer abc"}
    )

    assert response.status_code == 403
    assert "Authorization header requires 'Credential' parameter" in response.json()["message"]


def test_routes_without_security_are_open(api: Deployed) -> None:
    response = send("GET", f"{api.base_url}/echo/42", sign=False)

    assert response.status_code == 200, response.text
    identity = api.function.last_event()["requestContext"]["identity"]
    assert identity["accessKey"] is None
    assert identity["userArn"] is None


def test_signed_requests_carry_the_callers_identity(api: Deployed) -> None:
    response = send("GET", f"{api.base_url}/outbox")

    assert response.status_code == 200, response.text
    identity = api.function.last_event()["requestContext"]["identity"]
    assert identity["accessKey"] == "localcloud"
    assert identity["accountId"] == "123456789012"
    assert identity["userArn"] == "arn:aws:iam::123456789012:user/localcloud"
    assert identity["caller"] == identity["user"]
    assert identity["caller"].startswith("AIDA")

"""Which credentials the front accepts, and in which form: the local long-term key without a
session token, temporary credentials the local STS issued (with theirs, until they expire),
presigned query-string requests, and never two auth mechanisms at once.

Signed by botocore's own signers (SigV4Auth, SigV4QueryAuth); credentials from moto's STS.
"""

from __future__ import annotations

import http.client
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.apigw.apigw_support import REGION, Deployed, aws_client, send

from localcloud.apigw.http_types import IncomingRequest
from localcloud.apigw.sigv4 import LocalPrincipal, SignatureRejected, verify_request
from localcloud.apigw.sts_credentials import LocalStsCredentials
from localcloud.config import ACCESS_KEY_ID, ACCOUNT_ID, SECRET_ACCESS_KEY

INVALID_TOKEN = {"message": "The security token included in the request is invalid."}


def _assume_role(api: Deployed, seconds: int = 900) -> dict[str, Any]:
    credentials: dict[str, Any] = aws_client("sts", api.endpoint_url).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/api-caller",
        RoleSessionName="test-session",
        DurationSeconds=seconds,
    )["Credentials"]
    return credentials


def _presigned_url(url: str, credentials: Credentials, expires: int = 60) -> str:
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(credentials, "execute-api", REGION, expires=expires).add_auth(request)
    return str(request.url)


def _get(url: str, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
    """A GET with exactly these header lines, repeats included (requests would merge them)."""
    target = urlsplit(url)
    connection = http.client.HTTPConnection(str(target.hostname), target.port, timeout=30)
    try:
        connection.putrequest(
            "GET", f"{target.path}?{target.query}" if target.query else target.path, skip_host=True
        )
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _signed_headers(url: str, credentials: Credentials) -> list[tuple[str, str]]:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return [("Host", urlsplit(url).netloc), *request.headers.items()]


@pytest.mark.parametrize("signed", [True, False], ids=["token-signed", "token-appended"])
def test_a_made_up_session_token_is_refused(api: Deployed, signed: bool) -> None:
    headers = {} if signed else {"X-Amz-Security-Token": "made-up"}
    response = send(
        "GET", f"{api.base_url}/outbox", token="made-up" if signed else None, headers=headers
    )

    assert response.status_code == 403
    assert response.json() == INVALID_TOKEN
    assert api.function.calls == []


def test_two_authorization_headers_are_refused(api: Deployed) -> None:
    url = f"{api.base_url}/outbox"
    valid = _signed_headers(url, Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY))
    garbage = ("Authorization", "AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/s/aws4_request")

    status, body = _get(url, [garbage, *valid])

    assert status == 403, body
    assert b"Authorization" in body
    assert api.function.calls == []


def test_header_and_query_auth_together_are_refused(api: Deployed) -> None:
    credentials = Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    presigned = _presigned_url(f"{api.base_url}/outbox", credentials)

    status, body = _get(presigned, _signed_headers(presigned, credentials))

    assert status == 403, body
    assert b"Only one auth mechanism allowed" in body
    assert api.function.calls == []


def test_a_presigned_url_is_accepted(api: Deployed) -> None:
    url = _presigned_url(
        f"{api.base_url}/outbox?max=2", Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    )

    status, body = _get(url, [("Host", urlsplit(url).netloc)])

    assert status == 200, body
    event = api.function.last_event()
    assert event["requestContext"]["identity"]["accessKey"] == ACCESS_KEY_ID
    assert event["queryStringParameters"]["max"] == "2"


def test_an_expired_presigned_url_is_refused(api: Deployed) -> None:
    signed_at = datetime.now(UTC) - timedelta(seconds=120)
    with patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
        url = _presigned_url(
            f"{api.base_url}/outbox", Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), expires=60
        )

    status, body = _get(url, [("Host", urlsplit(url).netloc)])

    assert status == 403
    assert b"Signature expired" in body
    assert api.function.calls == []


def test_a_presigned_url_with_a_changed_query_is_refused(api: Deployed) -> None:
    url = _presigned_url(
        f"{api.base_url}/outbox?max=1", Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    )

    status, body = _get(url.replace("max=1", "max=9"), [("Host", urlsplit(url).netloc)])

    assert status == 403
    assert b"does not match" in body


def test_assume_role_credentials_are_accepted_with_their_token(api: Deployed) -> None:
    issued = _assume_role(api)

    response = send(
        "GET",
        f"{api.base_url}/outbox",
        access_key=issued["AccessKeyId"],
        secret=issued["SecretAccessKey"],
        token=issued["SessionToken"],
    )

    assert response.status_code == 200, response.text
    identity = api.function.last_event()["requestContext"]["identity"]
    assert identity["accessKey"] == issued["AccessKeyId"]
    assert identity["userArn"] == (
        f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/api-caller/test-session"
    )
    assert identity["caller"].endswith(":test-session")


def test_assume_role_credentials_presigned_are_accepted(api: Deployed) -> None:
    issued = _assume_role(api)
    credentials = Credentials(
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
    )
    url = _presigned_url(f"{api.base_url}/outbox", credentials)

    status, body = _get(url, [("Host", urlsplit(url).netloc)])

    assert status == 200, body


@pytest.mark.parametrize("token", [None, "made-up"], ids=["no-token", "wrong-token"])
def test_assume_role_credentials_need_their_own_token(api: Deployed, token: str | None) -> None:
    issued = _assume_role(api)

    response = send(
        "GET",
        f"{api.base_url}/outbox",
        access_key=issued["AccessKeyId"],
        secret=issued["SecretAccessKey"],
        token=token,
    )

    assert response.status_code == 403
    assert response.json() == INVALID_TOKEN


def test_get_session_token_credentials_are_accepted(api: Deployed) -> None:
    issued = aws_client("sts", api.endpoint_url).get_session_token()["Credentials"]

    accepted = send(
        "GET",
        f"{api.base_url}/outbox",
        access_key=issued["AccessKeyId"],
        secret=issued["SecretAccessKey"],
        token=issued["SessionToken"],
    )
    refused = send(
        "GET",
        f"{api.base_url}/outbox",
        access_key=issued["AccessKeyId"],
        secret=issued["SecretAccessKey"],
        token="made-up",
    )

    assert accepted.status_code == 200, accepted.text
    assert refused.status_code == 403
    assert refused.json() == INVALID_TOKEN


def test_expired_temporary_credentials_are_refused(api: Deployed) -> None:
    issued = _assume_role(api)
    later = issued["Expiration"] + timedelta(minutes=1)
    url = "http://front.local/restapis/a/v1/_user_request_/outbox"
    aws_request = AWSRequest(method="GET", url=url)
    credentials = Credentials(
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
    )
    with patch.object(botocore.auth, "get_current_datetime", return_value=later):
        SigV4Auth(credentials, "execute-api", REGION).add_auth(aws_request)
    request = IncomingRequest(
        method="GET",
        raw_path=urlsplit(url).path,
        raw_query="",
        headers=(("Host", "front.local"), *aws_request.headers.items()),
        body=b"",
    )
    principal = LocalPrincipal(
        ACCESS_KEY_ID, SECRET_ACCESS_KEY, ACCOUNT_ID, temporary_credentials=LocalStsCredentials()
    )

    assert verify_request(request, principal, REGION, now=later - timedelta(minutes=2)).access_key
    with pytest.raises(SignatureRejected) as rejected:
        verify_request(request, principal, REGION, now=later)

    assert rejected.value.response_type == "EXPIRED_TOKEN"
    assert rejected.value.message == "The security token included in the request is expired"

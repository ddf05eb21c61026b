"""POST /inbox over real HTTP: the `aws` SQS integration, validation, media types."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from tests.apigw.apigw_support import (
    QUEUE_NAME,
    REGION,
    Deployed,
    send,
    take_messages,
)

from localcloud.apigw.integrations.base import parse_service_uri
from localcloud.apigw.integrations.sqs import SqsService
from localcloud.config import ACCESS_KEY_ID, ACCOUNT_ID, SECRET_ACCESS_KEY


@pytest.mark.parametrize(
    "message",
    [
        "plain words",
        "needs encoding: a&b=c+d %41 ?x #y /z \\ 'q' \"dq\" ~*",
        "unicode: héllo ✓ 日本語 🚀 \u2028",
        "tab\tnewline\nreturn\r",
    ],
    ids=["plain", "url-specials", "unicode", "whitespace"],
)
def test_the_body_arrives_in_the_queue_byte_exact(api: Deployed, sqs: Any, message: str) -> None:
    body = json.dumps({"id": "m-1", "message": message}, ensure_ascii=False).encode()

    response = send(
        "POST", f"{api.base_url}/inbox", body=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    message_id = response.json()["messageId"]
    received = take_messages(sqs, api.queue_url)
    assert [m["MessageId"] for m in received] == [message_id]
    assert received[0]["Body"].encode() == body
    assert received[0]["MD5OfBody"] == hashlib.md5(body).hexdigest()


def test_charset_parameter_still_selects_the_json_template(api: Deployed, sqs: Any) -> None:
    response = send(
        "POST",
        f"{api.base_url}/inbox",
        json_body={"id": "cs", "message": "x"},
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )

    assert response.status_code == 200, response.text
    assert len(take_messages(sqs, api.queue_url)) == 1


@pytest.mark.parametrize(
    ("body", "detail_fragment"),
    [
        ({"message": "no id"}, "'id' is a required property"),
        ({"id": "x", "message": "extra", "unexpected": True}, "'unexpected' was unexpected"),
        ({"id": "x", "message": 5}, "5 is not of type 'string'"),
        ({"id": "has spaces", "message": "bad id"}, "does not match"),
        ({"id": "x", "message": ""}, "should be non-empty"),
        ({"id": "x" * 129, "message": "long id"}, "is too long"),
        ({"id": 'q"uote', "message": "x"}, "does not match"),
    ],
    ids=["no-id", "extra-field", "wrong-type", "bad-id", "empty", "long-id", "quote-in-value"],
)
def test_invalid_bodies_get_the_definitions_bad_request_body_response(
    api: Deployed, sqs: Any, body: dict[str, Any], detail_fragment: str
) -> None:
    response = send("POST", f"{api.base_url}/inbox", json_body=body)

    assert response.status_code == 400, response.text
    document = response.json()  # stays valid JSON even when the detail holds quotes
    assert document["message"] == "Invalid request body"
    assert detail_fragment in document["detail"]
    assert document["detail"].startswith("[")
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert take_messages(sqs, api.queue_url) == []


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"NaN", b"[1, 2", b"\xff\xfe\x00binary", b"[" * 100_000],
    ids=["broken", "empty", "nan", "truncated", "not-utf8", "deeply-nested"],
)
def test_bodies_that_are_not_json_are_400(api: Deployed, sqs: Any, raw: bytes) -> None:
    response = send(
        "POST", f"{api.base_url}/inbox", body=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Invalid request body"
    assert take_messages(sqs, api.queue_url) == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_media_types_without_a_template_are_415_with_passthrough_never(
    api: Deployed, sqs: Any, content_type: str
) -> None:
    response = send(
        "POST",
        f"{api.base_url}/inbox",
        body=json.dumps({"id": "x", "message": "y"}),
        headers={"Content-Type": content_type},
    )

    assert response.status_code == 415, response.text
    assert response.json() == {"message": "Unsupported Media Type"}
    assert take_messages(sqs, api.queue_url) == []


def test_no_content_type_counts_as_json(api: Deployed, sqs: Any) -> None:
    response = send("POST", f"{api.base_url}/inbox", body=b'{"id": "nct", "message": "m"}')

    assert response.status_code == 200, response.text
    assert json.loads(take_messages(sqs, api.queue_url)[0]["Body"]) == {"id": "nct", "message": "m"}


def test_concurrent_posts_each_arrive_once(api: Deployed, sqs: Any) -> None:
    bodies = [{"id": f"c-{i}", "message": f"concurrent {i} ✓"} for i in range(8)]

    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda b: send("POST", f"{api.base_url}/inbox", json_body=b), bodies)
        )

    assert [r.status_code for r in responses] == [200] * 8
    ids = {r.json()["messageId"] for r in responses}
    received = take_messages(sqs, api.queue_url)
    assert {m["MessageId"] for m in received} == ids
    assert sorted(json.loads(m["Body"])["id"] for m in received) == sorted(b["id"] for b in bodies)


@pytest.mark.parametrize(("accept", "xml"), [(None, False), ("application/xml", True)])
def test_sqs_answers_json_unless_the_integration_asks_for_xml(
    api: Deployed, accept: str | None, xml: bool
) -> None:
    service = SqsService(api.endpoint_url, REGION, (ACCESS_KEY_ID, SECRET_ACCESS_KEY))
    headers = [("Content-Type", "application/x-www-form-urlencoded")]
    if accept:
        headers.append(("Accept", accept))
    uri = parse_service_uri(f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT_ID}/{QUEUE_NAME}")

    answer = service.call(uri, "POST", headers, b"Action=SendMessage&MessageBody=x", 10)

    assert answer.status == 200
    if xml:
        assert "<MessageId>" in answer.body
    else:
        assert json.loads(answer.body)["SendMessageResponse"]["SendMessageResult"]["MessageId"]

"""The three URL forms of a deployed API: the execute-api host (``{api}.execute-api.localhost``
or the real ``...amazonaws.com`` name in the Host header), LocalStack's ``/restapis/...`` path and
``/{stage}/...`` when the front serves one API; with several APIs the stage form names them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from tests.apigw.apigw_support import (
    REGION,
    STAGE,
    Deployed,
    aws_client,
    inbox_outbox_definition,
    moto_body,
    send,
)

from localcloud.apigw.front import ApiFront
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from localcloud.specs import RestApiSpec


def _echoed_path(api: Deployed, url: str, host: str | None = None) -> requests.Response:
    headers = {"Host": host} if host else {}
    return requests.get(url, headers=headers, timeout=30)


@pytest.mark.parametrize(
    "host_name",
    ["{api}.execute-api.localhost:{port}", "{api}.execute-api.us-east-1.amazonaws.com"],
    ids=["localhost", "amazonaws"],
)
def test_the_host_names_the_api_and_the_path_starts_with_the_stage(
    api: Deployed, host_name: str
) -> None:
    port = api.front.url.rsplit(":", 1)[1]
    host = host_name.format(api=api.api_id, port=port)

    response = _echoed_path(api, f"{api.front.url}/{STAGE}/echo/a%20b?x=1", host)

    assert response.status_code == 200, response.text
    event = api.function.last_event()
    assert event["path"] == "/echo/a b"
    assert event["requestContext"]["stage"] == STAGE
    assert event["requestContext"]["apiId"] == api.api_id
    assert event["headers"]["Host"] == host


def test_a_signed_request_in_the_host_form_is_verified_against_that_host(api: Deployed) -> None:
    host = f"{api.api_id}.execute-api.{REGION}.amazonaws.com"

    signed = send("GET", f"{api.front.url}/{STAGE}/outbox", headers={"Host": host})
    unsigned = send("GET", f"{api.front.url}/{STAGE}/outbox", headers={"Host": host}, sign=False)

    assert signed.status_code == 200, signed.text
    assert unsigned.status_code == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}


@pytest.mark.parametrize("path", ["/", "/prod/echo/1"], ids=["root", "unknown-stage"])
def test_the_host_form_outside_a_stage_is_forbidden(api: Deployed, path: str) -> None:
    host = f"{api.api_id}.execute-api.localhost"

    response = _echoed_path(api, f"{api.front.url}{path}", host)

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_an_unknown_api_in_the_host_is_not_found(api: Deployed) -> None:
    response = _echoed_path(
        api, f"{api.front.url}/{STAGE}/echo/1", "nosuchapi.execute-api.localhost"
    )

    assert response.status_code == 404
    assert "'nosuchapi'" in response.json()["message"]


def test_the_stage_form_reaches_the_only_api(api: Deployed) -> None:
    response = _echoed_path(api, f"{api.front.url}/{STAGE}/echo/7")

    assert response.status_code == 200, response.text
    assert api.function.last_event()["pathParameters"] == {"id": "7"}


@pytest.fixture(scope="module")
def two_apis(deployed: Deployed) -> Iterator[tuple[ApiFront, str]]:
    """A front serving the test API and a second one."""
    apigateway = aws_client("apigateway", deployed.endpoint_url)
    definition = inbox_outbox_definition()
    second = apigateway.create_rest_api(name="apigw-test-second")["id"]
    apigateway.put_rest_api(
        restApiId=second, mode="overwrite", body=json.dumps(moto_body(definition))
    )
    apigateway.create_deployment(restApiId=second, stageName=STAGE)
    front = ApiFront(
        [
            RestApiSpec("InboxOutboxApi", deployed.api_id, STAGE, definition),
            RestApiSpec("SecondApi", second, STAGE, definition),
        ],
        deployed.function,
        deployed.endpoint_url,
        REGION,
        (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
        port=0,
    )
    front.start()
    yield front, second
    front.stop()


def test_with_two_apis_the_stage_form_names_both(
    deployed: Deployed, two_apis: tuple[ApiFront, str]
) -> None:
    front, second = two_apis

    response = requests.get(f"{front.url}/{STAGE}/echo/1", timeout=30)

    assert response.status_code == 404
    message = response.json()["message"]
    assert deployed.api_id in message
    assert second in message
    assert "execute-api.localhost" in message


def test_with_two_apis_the_host_picks_one(
    deployed: Deployed, two_apis: tuple[ApiFront, str]
) -> None:
    front, second = two_apis
    deployed.function.calls.clear()

    response = requests.get(
        f"{front.url}/{STAGE}/echo/1",
        headers={"Host": f"{second}.execute-api.localhost"},
        timeout=30,
    )

    assert response.status_code == 200, response.text
    assert deployed.function.last_event()["requestContext"]["apiId"] == second

"""Support of the API front tests: the test REST API definition (the template's DefinitionBody),
the function double, and signed HTTP requests.

The only test double is ``FunctionDouble``: it stands in for the *function* behind aws_proxy
routes (it records events and answers what a test tells it to). AWS itself is always moto.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from samtranslator.yaml_helper import yaml_parse

from localcloud.apigw.front import ApiFront
from localcloud.config import ACCESS_KEY_ID, ACCOUNT_ID, SECRET_ACCESS_KEY
from localcloud.specs import InvokeResult

REGION = "us-east-1"
STAGE = "v1"
QUEUE_NAME = "apigw-test-input"
OUTBOX_FUNCTION = "apigw-test-check-output"
ECHO_FUNCTION = "apigw-test-echo"
TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


def lambda_uri(function_name: str) -> str:
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


def inbox_outbox_definition() -> dict[str, Any]:
    """The template's DefinitionBody with its intrinsics substituted by hand, plus GET /outbox as
    SAM merges it (aws_proxy, AWS_IAM) and an open GET /echo/{id} to observe proxy events."""
    template = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    definition: dict[str, Any] = copy.deepcopy(
        template["Resources"]["InboxOutboxApi"]["Properties"]["DefinitionBody"]
    )
    inbox = definition["paths"]["/inbox"]["post"]["x-amazon-apigateway-integration"]
    inbox["uri"] = f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT_ID}/{QUEUE_NAME}"
    inbox["credentials"] = f"arn:aws:iam::{ACCOUNT_ID}:role/apigw-test-sqs"
    definition["paths"]["/outbox"] = {
        "get": {
            "security": [{"AWS_IAM": []}],
            "responses": {},
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": lambda_uri(OUTBOX_FUNCTION),
                "credentials": "arn:aws:iam::*:user/*",
            },
        }
    }
    definition["paths"]["/echo/{id}"] = {
        "x-amazon-apigateway-any-method": {
            "responses": {},
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": lambda_uri(ECHO_FUNCTION),
            },
        }
    }
    return definition


def take_messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete every message of the queue (so none reappears in a later test)."""
    taken: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not batch:
            return taken
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
        taken.extend(batch)


def moto_body(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as moto accepts it: moto refuses integration credentials of other accounts
    (SAM's ``arn:aws:iam::*:user/*``, "the caller's credentials"), so those are left out."""
    body = copy.deepcopy(definition)
    for path_item in body["paths"].values():
        for operation in path_item.values():
            integration = operation.get("x-amazon-apigateway-integration", {})
            if not str(integration.get("credentials", "")).startswith(
                f"arn:aws:iam::{ACCOUNT_ID}:"
            ):
                integration.pop("credentials", None)
    return body


@dataclass
class FunctionDouble:
    """Stands in for the functions behind aws_proxy routes; thread-safe."""

    answer: Callable[[str, Any], InvokeResult] = field(
        default=lambda name, event: InvokeResult(
            {"statusCode": 200, "body": json.dumps({"function": name})}
        )
    )
    calls: list[tuple[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, function_name: str, event: Any) -> InvokeResult:
        with self._lock:
            self.calls.append((function_name, json.loads(json.dumps(event))))
        return self.answer(function_name, event)

    def last_event(self) -> dict[str, Any]:
        with self._lock:
            assert self.calls, "the function was not invoked"
            event: dict[str, Any] = self.calls[-1][1]
            return event


@dataclass(frozen=True)
class Deployed:
    endpoint_url: str
    api_id: str
    queue_url: str
    front: ApiFront
    function: FunctionDouble

    @property
    def base_url(self) -> str:
        return f"{self.front.url}/restapis/{self.api_id}/{STAGE}/_user_request_"


def aws_client(service: str, endpoint_url: str) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]  # any service name, not one literal
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


def send(
    method: str,
    url: str,
    *,
    body: bytes | str | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    params: Any = None,
    sign: bool = True,
    secret: str = SECRET_ACCESS_KEY,
    access_key: str = ACCESS_KEY_ID,
    region: str = REGION,
    token: str | None = None,
    tamper: Callable[[requests.PreparedRequest], None] | None = None,
) -> requests.Response:
    """A real HTTP request, signed like the AWS CLI (SigV4, service execute-api)."""
    prepared = requests.Request(
        method, url, data=body, json=json_body, headers=headers or {}, params=params
    ).prepare()
    if sign:
        aws_request = AWSRequest(
            method=prepared.method,
            url=prepared.url,
            data=prepared.body,
            headers=dict(prepared.headers),
        )
        credentials = Credentials(access_key, secret, token)
        SigV4Auth(credentials, "execute-api", region).add_auth(aws_request)
        prepared.headers.update(dict(aws_request.headers))
    if tamper is not None:
        tamper(prepared)
    with requests.Session() as session:
        return session.send(prepared, timeout=30)

"""Cloud Control's ``GetResource`` of a function URL, what ``sam list endpoints`` asks per function:
the URL configuration moto's Lambda holds, or ResourceNotFoundException (SAM CLI shows "-")."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.server import LocalCloudServer

NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})


def _client(server: LocalCloudServer, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=server.url, region_name="us-east-1", config=NO_RETRIES
    )


@pytest.fixture
def function_name(local_server: LocalCloudServer) -> Iterator[str]:
    name = f"url-probe-{uuid.uuid4().hex[:8]}"
    iam, lambda_client = _client(local_server, "iam"), _client(local_server, "lambda")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "")
    lambda_client.create_function(
        FunctionName=name, Runtime="python3.13", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )  # fmt: skip
    yield name
    lambda_client.delete_function(FunctionName=name)
    iam.delete_role(RoleName=name)


def _get_url_resource(server: LocalCloudServer, identifier: str) -> Any:
    return _client(server, "cloudcontrol").get_resource(
        TypeName="AWS::Lambda::Url", Identifier=identifier
    )


def test_a_function_url_is_read_with_its_properties(
    local_server: LocalCloudServer, function_name: str
) -> None:
    created = _client(local_server, "lambda").create_function_url_config(
        FunctionName=function_name, AuthType="AWS_IAM"
    )

    answer = _get_url_resource(local_server, function_name)

    assert answer["TypeName"] == "AWS::Lambda::Url"
    description = answer["ResourceDescription"]
    assert description["Identifier"] == created["FunctionArn"]
    properties = json.loads(description["Properties"])
    assert properties["FunctionUrl"] == created["FunctionUrl"]
    assert properties["AuthType"] == "AWS_IAM"
    assert properties["TargetFunctionArn"] == created["FunctionArn"]


def test_a_function_without_a_url_is_resource_not_found(
    local_server: LocalCloudServer, function_name: str
) -> None:
    with pytest.raises(ClientError) as raised:
        _get_url_resource(local_server, function_name)
    error = raised.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert function_name in error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_another_resource_type_is_unsupported_not_retried(local_server: LocalCloudServer) -> None:
    cloudcontrol = _client(local_server, "cloudcontrol")
    with pytest.raises(ClientError) as raised:
        cloudcontrol.get_resource(TypeName="AWS::SQS::Queue", Identifier="a-queue")
    error = raised.value.response
    assert error["Error"]["Code"] == "UnsupportedActionException"
    assert "AWS::Lambda::Url" in error["Error"]["Message"]
    assert error["ResponseMetadata"]["RetryAttempts"] == 0

"""Operations moto lacks answer at once with a 400 that names them, in the service's protocol.

moto answered them with an HTML 500 that SDKs retry (boto3: 4 attempts in standard mode, up
to 10 in others) before showing an error that does not say what is missing.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.server import LocalCloudServer

# Standard mode retries a 500 three times: an error that is retried shows RetryAttempts 3.
RETRYING = Config(retries={"mode": "standard", "max_attempts": 4})


def _client(server: LocalCloudServer, service: str) -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1", config=RETRYING)


def _raised(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return dict(raised.value.response)


def _assert_unimplemented(response: dict[str, Any], operation: str) -> None:
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert response["Error"]["Message"] == f"localcloud does not implement {operation}"


def test_api_gateway_test_invoke_method(local_server: LocalCloudServer) -> None:
    apigw = _client(local_server, "apigateway")
    api = apigw.create_rest_api(name="unimplemented-probe")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    response = _raised(apigw.test_invoke_method, restApiId=api, resourceId=root, httpMethod="GET")
    _assert_unimplemented(response, "APIGateway.TestInvokeMethod")
    assert response["Error"]["Code"] == "UnknownOperationException"


def test_kinesis_subscribe_to_shard(local_server: LocalCloudServer) -> None:
    kinesis = _client(local_server, "kinesis")
    kinesis.create_stream(StreamName="unimplemented-probe", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="unimplemented-probe")["StreamDescription"][
        "StreamARN"
    ]
    response = _raised(
        kinesis.subscribe_to_shard,
        ConsumerARN=f"{arn}/consumer/probe:1",
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "LATEST"},
    )
    _assert_unimplemented(response, "Kinesis.SubscribeToShard")


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("list_resources", {"TypeName": "AWS::SQS::Queue"}),
        ("delete_resource", {"TypeName": "AWS::SQS::Queue", "Identifier": "q"}),
    ],
)
def test_cloud_control_api(
    local_server: LocalCloudServer, operation: str, kwargs: dict[str, str]
) -> None:
    cloudcontrol = _client(local_server, "cloudcontrol")
    name = "".join(part.title() for part in operation.split("_"))
    _assert_unimplemented(
        _raised(getattr(cloudcontrol, operation), **kwargs), f"CloudControl.{name}"
    )


def test_the_query_protocol_gets_an_xml_error(local_server: LocalCloudServer) -> None:
    # moto's SQS has no ListMessageMoveTasks; the local cloud serves it in JSON only.
    scope = f"Credential=x/{time.strftime('%Y%m%d')}/us-east-1/sqs/aws4_request"
    answer = requests.post(
        local_server.url,
        data={"Action": "ListMessageMoveTasks", "SourceArn": "arn:aws:sqs:us-east-1:1:q"},
        headers={"Authorization": f"AWS4-HMAC-SHA256 {scope}, Signature=0"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert "<Code>InvalidAction</Code>" in answer.text
    assert "localcloud does not implement SQS.ListMessageMoveTasks" in answer.text


def test_implemented_operations_are_untouched(local_server: LocalCloudServer) -> None:
    sqs = _client(local_server, "sqs")
    response = _raised(sqs.get_queue_url, QueueName="no-such-queue-here")
    assert response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400

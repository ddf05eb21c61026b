"""The fault layer itself, through real clients: boto3 must read each injected fault as the
AWS error it imitates, and only the targeted callers may see it.

A client whose User-Agent carries ``exec-env/AWS_Lambda_...`` is what a function's boto3 sends;
the tests build one with ``user_agent_extra`` to stand in for a function's calls.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.cloud import LocalCloud
from stackclient.stack import Stack
from tests.reliability.faults_and_tallies import FaultControl

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

FUNCTION_UA = "exec-env/AWS_Lambda_python3.13"


def _function_client(session: boto3.session.Session, cloud: LocalCloud, name: str) -> Any:
    # No botocore retries: each call is exactly one request, so the counters are exact.
    config = Config(
        user_agent_extra=FUNCTION_UA, retries={"mode": "standard", "total_max_attempts": 1}
    )
    return session.client(name, endpoint_url=cloud.endpoint_url, config=config)  # type: ignore[call-overload]


def _items(batch: str, count: int) -> list[dict[str, Any]]:
    return [
        {"PutRequest": {"Item": {"PK": {"S": batch}, "SK": {"S": f"{i:04d}"}}}}
        for i in range(count)
    ]


def test_throttle_reads_as_dynamodb_throttling_and_spares_other_callers(
    clean_faults: FaultControl, session: boto3.session.Session, cloud: LocalCloud, stack: Stack
) -> None:
    table = stack.output("ProcessedRecordsTableName")
    batch = f"fi-{uuid.uuid4().hex[:8]}"
    # match: only this table (the listener function writes its own table meanwhile).
    (rule_id,) = clean_faults.add(
        {"service": "dynamodb", "operation": "BatchWriteItem", "kind": "throttle", "match": table}
    )
    function_ddb = _function_client(session, cloud, "dynamodb")
    with pytest.raises(ClientError) as raised:
        function_ddb.batch_write_item(RequestItems={table: _items(batch, 3)})
    error = raised.value.response
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400

    # The test's own client (no exec-env) is never a target.
    own = session.client("dynamodb", endpoint_url=cloud.endpoint_url)
    own.batch_write_item(RequestItems={table: _items(batch, 3)})
    rule = clean_faults.rule(rule_id)
    assert (rule["seen"], rule["hits"]) == (1, 1)


def test_unprocessed_forwards_part_and_returns_the_rest(
    clean_faults: FaultControl, session: boto3.session.Session, cloud: LocalCloud, stack: Stack
) -> None:
    table = stack.output("ProcessedRecordsTableName")
    batch = f"fi-{uuid.uuid4().hex[:8]}"
    clean_faults.add(
        {
            "service": "dynamodb",
            "operation": "BatchWriteItem",
            "kind": "unprocessed",
            "match": "0003",  # exactly the item with SK 0003 is held back
        }
    )
    response = _function_client(session, cloud, "dynamodb").batch_write_item(
        RequestItems={table: _items(batch, 10)}
    )
    unprocessed = response["UnprocessedItems"][table]
    assert [r["PutRequest"]["Item"]["SK"]["S"] for r in unprocessed] == ["0003"]
    stored = session.client("dynamodb", endpoint_url=cloud.endpoint_url).query(
        TableName=table,
        KeyConditionExpression="PK = :b",
        ExpressionAttributeValues={":b": {"S": batch}},
    )["Items"]
    assert sorted(i["SK"]["S"] for i in stored) == [f"{i:04d}" for i in range(10) if i != 3]


def test_sqs_errors_in_the_json_and_the_query_protocol(
    clean_faults: FaultControl, session: boto3.session.Session, cloud: LocalCloud, stack: Stack
) -> None:
    queue_url = stack.output("OutputQueueDLQUrl")
    clean_faults.add(
        {"service": "sqs", "operation": "SendMessage", "kind": "error", "source": "any"},
        {"service": "sqs", "operation": "SendMessageBatch", "kind": "throttle", "source": "any"},
    )
    sqs = _function_client(session, cloud, "sqs")
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=queue_url, MessageBody="x")
    assert raised.value.response["Error"]["Code"] == "InternalFailure"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(ClientError) as raised:
        sqs.send_message_batch(QueueUrl=queue_url, Entries=[{"Id": "1", "MessageBody": "x"}])
    assert raised.value.response["Error"]["Code"] == "RequestThrottled"

    # The query protocol (what the API front's SQS integration speaks) gets an XML error.
    scope = f"Credential=localcloud/{time.strftime('%Y%m%d')}/us-east-1/sqs/aws4_request"
    answer = requests.post(
        cloud.endpoint_url + urlsplit(queue_url).path,
        data={"Action": "SendMessage", "MessageBody": "x"},
        headers={"Authorization": f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=0"},
        timeout=10,
    )
    assert answer.status_code == 500
    assert "<Code>InternalFailure</Code>" in answer.text


def test_control_endpoint_lists_removes_and_rejects_bad_rules(
    clean_faults: FaultControl, cloud: LocalCloud
) -> None:
    ids = clean_faults.add(
        {"service": "sqs", "operation": "SendMessage", "kind": "error", "probability": 0.3},
        {"service": "dynamodb", "operation": "BatchWriteItem", "kind": "delay", "seconds": 0.1},
    )
    assert [r["id"] for r in clean_faults.rules()] == ids
    requests.delete(clean_faults.url, params={"id": str(ids[0])}, timeout=10).raise_for_status()
    assert [r["id"] for r in clean_faults.rules()] == ids[1:]
    bad = requests.post(
        clean_faults.url, json={"service": "sqs", "operation": "X", "kind": "explode"}, timeout=10
    )
    assert bad.status_code == 400
    assert "kind" in bad.json()["message"]

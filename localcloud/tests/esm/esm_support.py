"""Support for the ESM tests: resources in a real moto server and a recording test function.

The function is a test double for the *function* only (a Python callable standing in for a
handler); every AWS call goes to moto.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from localcloud.esm.clients import AwsClients
from localcloud.esm.settings import PollerSettings
from localcloud.specs import EventSourceMappingSpec, InvokeResult

# Short waits so each test runs in a second or two; AWS's timings are seconds to minutes.
FAST = PollerSettings(
    idle_poll_interval_s=0.05,
    retry_backoff_initial_s=0.05,
    retry_backoff_max_s=0.2,
    error_backoff_s=0.1,
    error_backoff_max_s=0.4,
    shard_discovery_interval_s=0.5,
    sqs_wait_time_s=0,
    join_timeout_s=5.0,
)

Handler = Callable[[dict[str, Any]], Any]


class FunctionError(Exception):
    """Raised by test handlers to fail an invoke, like an unhandled exception in Lambda."""


class RecordingFunction:
    """An ``Invoker`` that runs ``handler`` in-process and records every event it got."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler: Handler = handler or (lambda event: None)
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def invoke(self, function_name: str, event: Any) -> InvokeResult:
        with self._lock:
            self.events.append(json.loads(json.dumps(event)))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return InvokeResult(payload=self.handler(event))
        except FunctionError as error:
            return InvokeResult(
                payload={"errorMessage": str(error), "errorType": "FunctionError"},
                function_error="Unhandled",
            )
        finally:
            with self._lock:
                self.in_flight -= 1

    @property
    def batches(self) -> list[list[dict[str, Any]]]:
        with self._lock:
            return [list(event["Records"]) for event in self.events]

    def record_count(self) -> int:
        return sum(len(batch) for batch in self.batches)


# Long enough for a loaded machine (`make test` runs every suite at once; CI machines are shared)
# to redeliver a message once after SQS's default 30 s visibility timeout; a wait that holds
# returns as soon as it does. 10 s failed once at load 13: every neighbour delivered, the
# queue not yet empty.
PATIENCE_S = 60.0


def wait_until(predicate: Callable[[], bool], timeout: float = PATIENCE_S, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def kinesis_data(record: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(record["kinesis"]["data"]))


def mapping(source: str, arn: str, **overrides: Any) -> EventSourceMappingSpec:
    base = EventSourceMappingSpec(
        logical_id=f"{source.title()}Mapping",
        function_name="fn-under-test",
        event_source_arn=arn,
        source=source,  # type: ignore[arg-type]
        batch_size=10,
        starting_position=None if source == "sqs" else "TRIM_HORIZON",
    )
    return replace(base, **overrides)


class Cloud:
    """Creates uniquely named resources in the moto server and reads them back."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        clients = AwsClients(endpoint_url, region)
        self.kinesis = clients.client("kinesis")
        self.dynamodb = clients.client("dynamodb")
        self.sqs = clients.client("sqs")

    @staticmethod
    def unique(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def stream(self, shards: int = 1) -> tuple[str, str]:
        name = self.unique("stream")
        self.kinesis.create_stream(StreamName=name, ShardCount=shards)
        arn = self.kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
        return name, arn

    def put(self, stream: str, items: list[tuple[str, Any]]) -> list[str]:
        """Puts (partition key, JSON value or bytes) in order; returns the sequence numbers."""
        entries = [
            {
                "PartitionKey": key,
                "Data": value if isinstance(value, bytes) else json.dumps(value).encode(),
            }
            for key, value in items
        ]
        response = self.kinesis.put_records(StreamName=stream, Records=entries)
        return [entry["SequenceNumber"] for entry in response["Records"]]

    def table(self) -> tuple[str, str]:
        name = self.unique("table")
        self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        stream_arn = self.dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        return name, stream_arn

    def queue(self, **attributes: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=self.unique("queue"), Attributes=attributes)[
            "QueueUrl"
        ]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return url, arn

    def send(self, url: str, bodies: list[str]) -> None:
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(bodies[start : start + 10])
            ]
            self.sqs.send_message_batch(QueueUrl=url, Entries=entries)

    def drain(self, url: str) -> list[dict[str, Any]]:
        """Receives (and deletes) every visible message of a queue, bodies parsed as JSON."""
        found: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def depth(self, url: str) -> int:
        """Visible plus in-flight messages, once two reads in a row agree: moto reads its clock
        for each count, so one read can miss a message whose visibility timeout ends during it
        (an empty queue seen before its message was processed); the next read cannot."""
        last = self._depth_once(url)
        for _ in range(4):  # a queue that keeps changing gets its last read
            depth = self._depth_once(url)
            if depth == last:
                break
            last = depth
        return last

    def _depth_once(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

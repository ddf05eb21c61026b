"""OnFailure destination of stream mappings: the metadata-only record AWS sends for a
discarded batch, and sending it to an SQS queue or SNS topic.

The record names the batch (shard, first/last sequence number, arrival times, size) but not
the data: the consumer reads the records from the stream itself while they are retained.
Shape: Lambda developer guide, "Retaining discarded batches for a Kinesis/DynamoDB event source".
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.esm.arns import parse_arn
from localcloud.esm.clients import AwsClients
from localcloud.esm.streams.source import StreamRecord, StreamSource, iso_utc
from localcloud.specs import InvokeResult

logger = logging.getLogger(__name__)

FailureCondition = Literal["RetryAttemptsExhausted", "RecordAgeExceeded"]


@dataclass(frozen=True)
class DiscardedBatch:
    shard_id: str
    records: Sequence[StreamRecord]
    condition: FailureCondition
    invoke_count: int
    last_result: InvokeResult | None  # None: discarded before any invoke


def stream_failure_record(
    batch: DiscardedBatch, source: StreamSource, function_arn: str, now: float | None = None
) -> dict[str, Any]:
    first, last = batch.records[0], batch.records[-1]
    record: dict[str, Any] = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": batch.condition,
            "approximateInvokeCount": batch.invoke_count,
        },
    }
    if batch.last_result is not None:
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if batch.last_result.function_error is not None:
            # Timeouts and crashes surface as "Unhandled" too, as in Lambda's FunctionError.
            response["functionError"] = "Unhandled"
        record["responseContext"] = response
    record["version"] = "1.0"
    record["timestamp"] = iso_utc(time.time() if now is None else now, millis=True)
    record[source.batch_info_field] = {
        "shardId": batch.shard_id,
        "startSequenceNumber": first.sequence_number,
        "endSequenceNumber": last.sequence_number,
        "approximateArrivalOfFirstRecord": source.format_arrival(first.arrival),
        "approximateArrivalOfLastRecord": source.format_arrival(last.arrival),
        "batchSize": len(batch.records),
        "streamArn": source.stream_arn,
    }
    return record


class OnFailureDestination:
    """Sends failure records to the mapping's destination; logs (never raises) on failure, so
    a broken destination cannot block a shard."""

    def __init__(self, clients: AwsClients, destination_arn: str | None) -> None:
        self._clients = clients
        self.destination_arn = destination_arn
        self._queue_url: str | None = None

    def send(self, message: dict[str, Any]) -> bool:
        if self.destination_arn is None:
            logger.warning("batch discarded without an OnFailure destination: %s", message)
            return False
        body = json.dumps(message)
        try:
            arn = parse_arn(self.destination_arn)
            if arn.service == "sqs":
                self._clients.client("sqs").send_message(
                    QueueUrl=self._sqs_url(arn.resource, arn.account), MessageBody=body
                )
            elif arn.service == "sns":
                self._clients.client("sns").publish(TopicArn=self.destination_arn, Message=body)
            else:
                logger.error("unsupported OnFailure destination %s", self.destination_arn)
                return False
        except (ClientError, BotoCoreError, ValueError):
            logger.exception("could not send to OnFailure destination %s", self.destination_arn)
            return False
        return True

    def _sqs_url(self, queue_name: str, account: str) -> str:
        if self._queue_url is None:
            self._queue_url = str(
                self._clients.client("sqs").get_queue_url(
                    QueueName=queue_name, QueueOwnerAWSAccountId=account
                )["QueueUrl"]
            )
        return self._queue_url

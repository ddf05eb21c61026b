"""What the reliability scenarios share: the fault control client, the function-log capture,
counting what a batch left in tables and queues, and the one-line summary each scenario prints.

Everything here talks to the running local cloud over real HTTP (boto3, requests); nothing is
mocked. The fault rules go through the server's control endpoint, exactly as a developer would
set them on a running ``make local``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from localcloud.faults import CONTROL_PATH

# ---------------------------------------------------------------- faults


class FaultControl:
    """``/_localcloud/faults`` of the running cloud."""

    def __init__(self, endpoint_url: str) -> None:
        self.url = f"{endpoint_url}{CONTROL_PATH}"
        self._session = requests.Session()

    def add(self, *rules: dict[str, Any]) -> list[int]:
        response = self._session.post(self.url, json=list(rules), timeout=10)
        assert response.status_code == 201, response.text
        ids: list[int] = response.json()["ids"]
        return ids

    def rules(self) -> list[dict[str, Any]]:
        response = self._session.get(self.url, timeout=10)
        response.raise_for_status()
        rules: list[dict[str, Any]] = response.json()["rules"]
        return rules

    def rule(self, rule_id: int) -> dict[str, Any]:
        return next(r for r in self.rules() if r["id"] == rule_id)

    def clear(self) -> None:
        self._session.delete(self.url, timeout=10).raise_for_status()


def describe_hits(rules: Iterable[dict[str, Any]]) -> str:
    return ", ".join(
        f"{r['operation']} {r['kind']} {r['hits']}/{r['seen']}" for r in rules if r["seen"]
    )


# ---------------------------------------------------------------- function logs


@dataclass(frozen=True)
class LogLine:
    logger: str
    function: str  # physical function name for function output, "" for the cloud's own logs
    text: str


_FUNCTION_PREFIX = re.compile(r"^\[(?P<function>[^\]]+)\] (?P<text>.*)$", re.DOTALL)


class LogCapture(logging.Handler):
    """Keeps the local cloud's log lines (function stdout and the pollers' own) in memory."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self._lines: list[LogLine] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        function = ""
        if record.name == "localcloud.function":
            match = _FUNCTION_PREFIX.match(text)
            if match:
                function, text = match["function"], match["text"]
        with self._guard:
            self._lines.append(LogLine(record.name, function, text))

    def mark(self) -> int:
        with self._guard:
            return len(self._lines)

    def since(self, mark: int) -> list[LogLine]:
        with self._guard:
            return list(self._lines[mark:])


def function_lines(lines: Sequence[LogLine], function_name: str) -> list[str]:
    return [line.text for line in lines if line.function == function_name]


def json_documents(texts: Iterable[str]) -> list[dict[str, Any]]:
    documents = []
    for text in texts:
        if text.startswith("{"):
            try:
                document = json.loads(text)
            except ValueError:
                continue
            if isinstance(document, dict):
                documents.append(document)
    return documents


def emf_metrics(texts: Iterable[str]) -> list[dict[str, Any]]:
    """The Embedded Metric Format documents Powertools Metrics printed (one per invoke)."""
    return [d for d in json_documents(texts) if "_aws" in d]


# ---------------------------------------------------------------- tables and queues


@dataclass(frozen=True)
class PutRecord:
    shard_id: str
    sequence_number: str


def put_records(kinesis: Any, stream: str, records: Sequence[tuple[bytes, str]]) -> list[PutRecord]:
    """PutRecords in chunks of 500, retrying failed entries; where each record landed, in order."""
    placed: list[PutRecord] = []
    for start in range(0, len(records), 500):
        pending = list(enumerate(records[start : start + 500]))
        landed: dict[int, PutRecord] = {}
        for attempt in range(8):
            response = kinesis.put_records(
                StreamName=stream,
                Records=[{"Data": data, "PartitionKey": key} for _, (data, key) in pending],
            )
            retry = []
            for (index, record), result in zip(pending, response["Records"], strict=True):
                if "ErrorCode" in result:
                    retry.append((index, record))
                else:
                    landed[index] = PutRecord(result["ShardId"], result["SequenceNumber"])
            pending = retry
            if not pending:
                break
            time.sleep(0.1 * 2**attempt)
        assert not pending, f"{len(pending)} records not accepted by Kinesis"
        placed.extend(landed[i] for i in sorted(landed))
    return placed


def covered_by(batch_info: dict[str, Any], record: PutRecord) -> bool:
    """Whether an OnFailure KinesisBatchInfo's sequence range holds the record."""
    return batch_info["shardId"] == record.shard_id and int(
        batch_info["startSequenceNumber"]
    ) <= int(record.sequence_number) <= int(batch_info["endSequenceNumber"])


def drain_queue(
    sqs: Any, queue_url: str, *, quiet_s: float = 2.0, limit_s: float = 60
) -> list[Any]:
    """Receive and delete everything until the queue stays empty for ``quiet_s``."""
    messages: list[Any] = []
    deadline = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < quiet_s:
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
        )
        batch = response.get("Messages", [])
        if batch:
            quiet_since = time.monotonic()
        for message in batch:
            messages.append(message)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def stream_positions(streams: Any, stream_arn: str) -> dict[str, str]:
    """A LATEST iterator per shard of a DynamoDB stream: read later, it yields only the events
    written after this call (an iterator lives 15 minutes, longer than any scenario)."""
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    return {
        shard["ShardId"]: streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )["ShardIterator"]
        for shard in shards
    }


def stream_event_names(
    streams: Any,
    stream_arn: str,
    batch: str,
    since: Mapping[str, str] | None = None,
    max_pages: int = 10_000,
) -> Counter[tuple[str, str]]:
    """(id, eventName) counts of ``batch``'s items in the processed table's DynamoDB stream.

    More than one INSERT for an id would be a duplicate item; MODIFYs are re-writes of the same
    item by a retried invoke (allowed: delivery is at least once, writes are idempotent).
    Sequence numbers must grow page after page: a stream that hands back what it already gave
    fails here instead of being read forever (moto did, under concurrent writes). ``since``
    (``stream_positions`` taken before the batch was sent) starts each shard there instead of at
    its trim horizon; a shard it does not know is read whole.
    """
    counts: Counter[tuple[str, str]] = Counter()
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = (since or {}).get(shard["ShardId"]) or streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        last = -1
        for _ in range(max_pages):
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page["Records"]:
                break
            numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in page["Records"]]
            assert numbers[0] > last and numbers == sorted(set(numbers)), (
                f"stream {shard['ShardId']} went back: {last} then {numbers[:3]}..."
            )
            last = numbers[-1]
            for record in page["Records"]:
                keys = record["dynamodb"].get("Keys", {})
                if keys.get("PK", {}).get("S") == batch:
                    counts[(keys["SK"]["S"], record["eventName"])] += 1
            iterator = page.get("NextShardIterator")
            if not iterator:
                break
        else:
            raise AssertionError(f"stream {shard['ShardId']} not read to its end in {max_pages}")
    return counts


def chunk_calls(pending_per_invoke: Iterable[int], per_call: int = 25) -> int:
    return sum(math.ceil(n / per_call) for n in pending_per_invoke)


# ---------------------------------------------------------------- the summary line


@dataclass
class Summary:
    scenario: str
    sent: int
    written: int
    in_dlq: int
    lost: int
    duplicated: int
    dlq_name: str
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        extra = "; ".join([f"DLQ = {self.dlq_name}", *self.details, f"{self.seconds:.1f} s"])
        return (
            f"{self.scenario}: {self.sent} sent, {self.written} written, {self.in_dlq} in DLQ, "
            f"{self.lost} lost, {self.duplicated} duplicated ({extra})"
        )

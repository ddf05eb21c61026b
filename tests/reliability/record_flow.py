"""Sending one scenario's records through the record stream and accounting for every one.

Accounting (the numbers of the summary line):
- written: distinct ids of the batch in the processed table;
- lost: ids sent and neither written nor covered by an OnFailure (DLQ) message;
- duplicated: rows beyond one per id in the processed table or the listener table, ids that were
  never sent, and ids with more than one INSERT in the processed table's stream (an item that
  appeared twice). Re-writes of the same item (MODIFY) are counted apart as ``rewrites``: the
  stream is at-least-once and writes are idempotent, so a retried record overwrites its item.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from stackclient.polling import wait_until
from stackclient.stack import Stack
from stackclient.streams import batch_count, batch_sort_keys
from tests.reliability.faults_and_tallies import (
    PutRecord,
    Summary,
    covered_by,
    drain_queue,
    put_records,
    stream_event_names,
    stream_positions,
)


@dataclass(frozen=True)
class Tally:
    sent: int
    written: int
    in_dlq: int
    lost: int
    duplicated: int
    rewrites: int
    listener_captured: int

    def summary(self, scenario: str, dlq_name: str, details: list[str], seconds: float) -> Summary:
        """The scenario's report line: this tally's counts, where failures go, what happened."""
        return Summary(
            scenario,
            self.sent,
            self.written,
            self.in_dlq,
            self.lost,
            self.duplicated,
            dlq_name,
            details,
            seconds,
        )


class RecordFlow:
    def __init__(self, stack: Stack, clients: dict[str, Any]) -> None:
        self.stack = stack
        self.kinesis = clients["kinesis"]
        self.sqs = clients["sqs"]
        self.streams = clients["dynamodbstreams"]
        self.processed = clients["dynamodb"].Table(stack.output("ProcessedRecordsTableName"))
        self.listener = clients["dynamodb"].Table(stack.output("ListenerTableName"))
        self.processed_stream_arn = clients["dynamodb_client"].describe_table(
            TableName=stack.output("ProcessedRecordsTableName")
        )["Table"]["LatestStreamArn"]
        # Where the processed table's stream stood when each batch was first sent: its events
        # all come after, so the tally reads the stream from there, not from the start of the
        # session (that read grew by every earlier scenario's thousands of events).
        self._stream_marks: dict[str, dict[str, str]] = {}

    @property
    def table_name(self) -> str:
        return self.stack.output("ProcessedRecordsTableName")

    def send(
        self, batch: str, ids: list[str], partition_key: str | None = None
    ) -> dict[str, PutRecord]:
        if batch not in self._stream_marks:
            self._stream_marks[batch] = stream_positions(self.streams, self.processed_stream_arn)
        records = [
            (json.dumps({"batch": batch, "id": i}).encode(), partition_key or f"{batch}-{i}")
            for i in ids
        ]
        placed = put_records(self.kinesis, self.stack.output("RecordsStreamName"), records)
        return dict(zip(ids, placed, strict=True))

    def written_ids(self, batch: str) -> list[str]:
        return batch_sort_keys(self.processed, batch)

    def written_count(self, batch: str) -> int:
        return batch_count(self.processed, batch)

    def wait_written(self, batch: str, ids: set[str], timeout_s: float) -> None:
        """Until every id is in the processed table and the listener captured it.

        Polls counts (cheap), then checks the ids once: a scenario's batch holds only its own ids,
        so the counts reaching ``len(ids)`` means complete unless something unknown was written,
        which the tally reports as duplicated."""

        def counts() -> tuple[int, int]:
            return batch_count(self.processed, batch), batch_count(self.listener, batch)

        wait_until(
            counts,
            lambda seen: min(seen) >= len(ids),
            description=f"all {len(ids)} records of {batch} written and captured (counts)",
            timeout_s=timeout_s,
            interval_s=0.5,
            max_interval_s=2.0,
        )
        processed = ids - set(self.written_ids(batch))
        captured = ids - set(batch_sort_keys(self.listener, batch))
        assert not processed | captured, (
            f"{len(processed)} ids never written, {len(captured)} never captured"
        )

    def on_failure_messages(self, quiet_s: float = 1.5) -> list[dict[str, Any]]:
        """Drain the OnFailure queue (RecordProcessorFailureQueue): its decoded messages."""
        messages = drain_queue(
            self.sqs, self.stack.output("RecordProcessorFailureQueueUrl"), quiet_s=quiet_s
        )
        return [json.loads(m["Body"]) for m in messages]

    def tally(
        self,
        batch: str,
        placed: dict[str, PutRecord],
        failures: list[dict[str, Any]],
    ) -> Tally:
        """Count what became of ``placed`` (id -> where it landed); an id that was not written
        but lies in an OnFailure message's range is "in DLQ", not lost."""
        processed_rows = self.written_ids(batch)
        listener_rows = batch_sort_keys(self.listener, batch)
        sent = set(placed)
        written = set(processed_rows) & sent
        in_dlq = {
            record_id
            for record_id, record in placed.items()
            if record_id not in written
            and any(covered_by(f.get("KinesisBatchInfo", {}), record) for f in failures)
        }
        events = stream_event_names(
            self.streams, self.processed_stream_arn, batch, self._stream_marks.get(batch)
        )
        inserts = Counter({key: n for (key, name), n in events.items() if name == "INSERT"})
        duplicated = (
            len(processed_rows) - len(set(processed_rows))
            + len(listener_rows) - len(set(listener_rows))
            + len(set(processed_rows) - sent)
            + sum(n - 1 for n in inserts.values() if n > 1)
        )  # fmt: skip
        rewrites = sum(n for (_, name), n in events.items() if name == "MODIFY")
        return Tally(
            sent=len(sent),
            written=len(written),
            in_dlq=len(in_dlq),
            lost=len(sent - written - in_dlq),
            duplicated=duplicated,
            rewrites=rewrites,
            listener_captured=len(set(listener_rows) & sent),
        )


def timeout_for(records: int) -> float:
    """Generous per-scenario deadline: ~50 records/s worst case on a busy 2-core machine."""
    return 60.0 + records / 50


def since(started: float) -> float:
    return time.monotonic() - started

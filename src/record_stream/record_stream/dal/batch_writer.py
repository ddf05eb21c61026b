"""Concurrent, retrying DynamoDB BatchWriteItem for a set of items with distinct keys.

Items go in chunks of 25 (the API's limit), written concurrently by a bounded thread pool so a
1,000-record batch costs ~40/concurrency round trips of latency instead of 40. UnprocessedItems
are resent with exponential backoff and full jitter, a bounded number of times; whatever is still
unwritten (or hit a ClientError after botocore's own retries) is returned as failed keys for the
caller to report. Given the invoke's time left, no retry starts (and no backoff sleeps) within
``retry_time_margin_ms`` of the timeout; first attempts always go, so every invoke makes progress
however small the margin leaves room. Puts are idempotent: writing an item again overwrites it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from lambda_observability.powertools import logger
from record_stream.dal.clients import DynamoDBBatchWriteClient, dynamodb_client
from record_stream.dal.item_attributes import key_of
from record_stream.dal.put_requests import PutRequestJson, put_request_json
from record_stream.logic.pending_writes import ItemKey
from record_stream.settings import WriteSettings

MAX_ITEMS_PER_CALL = 25

TimeLeft = Callable[[], float]
"""Seconds left before the function's timeout (from the Lambda context)."""


@dataclass(slots=True)
class WriteResult:
    written: int = 0
    retried: int = 0
    """Item puts resent because DynamoDB returned them in UnprocessedItems."""
    failed_keys: set[ItemKey] = field(default_factory=set)

    def add(self, other: WriteResult) -> None:
        self.written += other.written
        self.retried += other.retried
        self.failed_keys |= other.failed_keys


class BatchWriter:
    """Writes items to one table; safe to share across invokes (the client is thread-safe)."""

    def __init__(
        self,
        client: DynamoDBBatchWriteClient,
        table_name: str,
        settings: WriteSettings,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._settings = settings
        self._sleep = sleep
        self._jitter = jitter
        # One pool for the writer's life (the container's, as the handler caches the writer):
        # its threads start on the first batch that needs them and are reused by every invoke
        # after it, instead of starting and joining `concurrency` threads per invoke.
        self._pool = ThreadPoolExecutor(
            max_workers=settings.concurrency, thread_name_prefix="batch-write"
        )

    def write(
        self, items: Mapping[ItemKey, PutRequestJson], time_left: TimeLeft | None = None
    ) -> WriteResult:
        """Put every item (its put request by key; keys must be distinct); returns counts and the
        keys not written.

        ``time_left``: seconds before the invoke's timeout; without it retries are bounded by
        attempts only."""
        entries = list(items.items())
        chunks = [
            entries[start : start + MAX_ITEMS_PER_CALL]
            for start in range(0, len(entries), MAX_ITEMS_PER_CALL)
        ]
        result = WriteResult()
        if len(chunks) <= 1:
            # No thread for a single call: small batches are the common case.
            for chunk in chunks:
                result.add(self._write_chunk(chunk, time_left))
            return result
        for chunk_result in self._pool.map(
            lambda chunk: self._write_chunk(chunk, time_left), chunks
        ):
            result.add(chunk_result)
        return result

    def _write_chunk(
        self, chunk: Sequence[tuple[ItemKey, PutRequestJson]], time_left: TimeLeft | None
    ) -> WriteResult:
        pending = dict(chunk)
        retried = 0
        out_of_time = False
        for attempt in range(1, self._settings.max_attempts + 1):
            try:
                response = self._client.put_items(self._table_name, list(pending.values()))
            except (ClientError, BotoCoreError) as error:
                # botocore already retried throttling/5xx; what reaches here is reported so
                # Lambda retries those records later (or bisects towards a bad one).
                logger.warning(
                    "BatchWriteItem failed",
                    extra={"table": self._table_name, "items": len(pending), "error": str(error)},
                )
                return WriteResult(
                    written=len(chunk) - len(pending), retried=retried, failed_keys=set(pending)
                )
            unprocessed = response.get("UnprocessedItems", {}).get(self._table_name, [])
            # What DynamoDB hands back is resent as it came (as a boto3 caller would resend it).
            pending = {
                key_of(req["PutRequest"]["Item"]): put_request_json(req["PutRequest"]["Item"])
                for req in unprocessed
            }
            if not pending or attempt == self._settings.max_attempts:
                break
            delay = self._backoff_seconds(attempt)
            if not self._time_for_retry(time_left, delay):
                out_of_time = True
                break
            retried += len(pending)
            self._sleep(delay)
        if pending:
            logger.warning(
                "Retries stopped before the function timeout"
                if out_of_time
                else "Items still unprocessed after retries",
                extra={"table": self._table_name, "items": len(pending), "attempts": attempt},
            )
        return WriteResult(
            written=len(chunk) - len(pending), retried=retried, failed_keys=set(pending)
        )

    def _time_for_retry(self, time_left: TimeLeft | None, delay_s: float) -> bool:
        if time_left is None:
            return True
        return time_left() - delay_s > self._settings.retry_time_margin_ms / 1000

    def _backoff_seconds(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))] (AWS Architecture Blog)."""
        ceiling_ms = min(
            self._settings.backoff_cap_ms, self._settings.backoff_base_ms << (attempt - 1)
        )
        return self._jitter() * ceiling_ms / 1000


def table_writer(table_name: str, settings: WriteSettings) -> BatchWriter:
    """A writer of ``table_name`` through the container's client, its pool sized for its threads."""
    return BatchWriter(dynamodb_client(settings.concurrency), table_name, settings)

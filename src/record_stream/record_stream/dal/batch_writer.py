"""Concurrent, retrying DynamoDB BatchWriteItem for a set of items with distinct keys.

Items go in chunks of 25 (the API's limit), written concurrently by a bounded thread pool so a
1,000-record batch costs ~40/concurrency round trips of latency instead of 40. UnprocessedItems
are resent with exponential backoff and full jitter, a bounded number of times; whatever is still
unwritten (or hit a ClientError after botocore's own retries) is returned as failed keys for the
caller to report. Puts are idempotent: writing an item again overwrites it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from record_stream.dal.clients import DynamoDBBatchWriteClient
from record_stream.dal.item_attributes import AttributeMap, key_of
from record_stream.logic.pending_writes import ItemKey
from record_stream.observability import logger
from record_stream.settings import WriteSettings

MAX_ITEMS_PER_CALL = 25


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

    def write(self, items: Mapping[ItemKey, AttributeMap]) -> WriteResult:
        """Put every item (keys must be distinct); returns counts and the keys not written."""
        entries = list(items.values())
        chunks = [
            entries[start : start + MAX_ITEMS_PER_CALL]
            for start in range(0, len(entries), MAX_ITEMS_PER_CALL)
        ]
        result = WriteResult()
        if len(chunks) <= 1:
            # No thread for a single call: small batches are the common case.
            for chunk in chunks:
                result.add(self._write_chunk(chunk))
            return result
        workers = min(self._settings.concurrency, len(chunks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-write") as pool:
            for chunk_result in pool.map(self._write_chunk, chunks):
                result.add(chunk_result)
        return result

    def _write_chunk(self, chunk: Sequence[AttributeMap]) -> WriteResult:
        pending = {key_of(item): item for item in chunk}
        retried = 0
        for attempt in range(1, self._settings.max_attempts + 1):
            try:
                response = self._client.batch_write_item(
                    RequestItems={
                        self._table_name: [
                            {"PutRequest": {"Item": item}} for item in pending.values()
                        ]
                    }
                )
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
            pending = {
                key_of(req["PutRequest"]["Item"]): req["PutRequest"]["Item"] for req in unprocessed
            }
            if not pending or attempt == self._settings.max_attempts:
                break
            retried += len(pending)
            self._sleep(self._backoff_seconds(attempt))
        if pending:
            logger.warning(
                "Items still unprocessed after retries",
                extra={
                    "table": self._table_name,
                    "items": len(pending),
                    "attempts": self._settings.max_attempts,
                },
            )
        return WriteResult(
            written=len(chunk) - len(pending), retried=retried, failed_keys=set(pending)
        )

    def _backoff_seconds(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))] (AWS Architecture Blog)."""
        ceiling_ms = min(
            self._settings.backoff_cap_ms, self._settings.backoff_base_ms << (attempt - 1)
        )
        return self._jitter() * ceiling_ms / 1000

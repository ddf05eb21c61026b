"""``LastProcessingResult``: what a stream mapping's last invoke came to, as Lambda reports it.

Lambda reports it for Kinesis and DynamoDB stream mappings only (its SQS mappings have none):
``No records processed`` until the first invoke, then ``OK`` after an invoke whose batch
succeeded (fully, or partly with ``ReportBatchItemFailures``), or ``PROBLEM: Function call
failed`` after one that failed the batch (a function error, a timeout, a crash, a malformed
partial response, a tumbling window's response without ``state``). A mapping keeps its result
across a pause and an update, as Lambda's does.
"""

from __future__ import annotations

import threading

NO_RECORDS_PROCESSED = "No records processed"
OK = "OK"
FUNCTION_CALL_FAILED = "PROBLEM: Function call failed"


class ProcessingResult:
    """One mapping's last result; written by its shard workers, read by the API; thread-safe."""

    def __init__(self, value: str = NO_RECORDS_PROCESSED) -> None:
        self._lock = threading.Lock()
        self._value = value

    @property
    def value(self) -> str:
        with self._lock:
            return self._value

    def invoked(self, *, failed: bool) -> None:
        with self._lock:
            self._value = FUNCTION_CALL_FAILED if failed else OK

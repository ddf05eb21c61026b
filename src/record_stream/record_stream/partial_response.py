"""Turning the set of failed sequence numbers into Lambda's partial batch response.

The work is done for the whole batch first (concurrent writes); Powertools' BatchProcessor then
walks the records with a handler that raises for the failed ones. So the response shape
({"batchItemFailures": [{"itemIdentifier": seq}]}) and the all-records-failed rule (raise, so
Lambda retries or bisects the whole batch) are Powertools' own. When nothing failed, the answer
is Powertools' empty response without the walk: it wraps every record in a data class (about 1 us
per record, bench/README.md), to raise for none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

R = TypeVar("R")


class RecordNotPersistedError(Exception):
    """The record's outcome (item write or rejection) did not reach durable storage."""


def partial_response(
    event: dict[str, Any],
    processor: BatchProcessor,
    failed: Collection[str],
    sequence_number_of: Callable[[R], str | None],
    context: LambdaContext | None = None,
) -> PartialItemFailureResponse:
    records = event.get("Records")
    if not failed and isinstance(records, list) and records:
        return {"batchItemFailures": []}

    def record_handler(record: R) -> None:
        sequence_number = sequence_number_of(record)
        if sequence_number in failed:
            raise RecordNotPersistedError(sequence_number)

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

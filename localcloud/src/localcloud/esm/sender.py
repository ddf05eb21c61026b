"""Invoking the function with a batch: the one place where an invoker failure is contained."""

from __future__ import annotations

import logging
import time
from typing import Any

from localcloud.specs import Invoker, InvokeResult

logger = logging.getLogger(__name__)


def invoke_batch(
    invoker: Invoker,
    function_name: str,
    records: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
) -> InvokeResult:
    """Invokes with ``{"Records": records}`` plus ``extra`` (a tumbling window's fields). An
    invoker that raises (a local infrastructure failure, not the function's) is reported as a
    crashed invoke, so the batch is retried like any failed batch and the poller thread lives
    on."""
    started = time.monotonic()
    try:
        return invoker.invoke(function_name, {"Records": records, **(extra or {})})
    except Exception as error:
        logger.exception("invoker failed for %s", function_name)
        return InvokeResult(
            payload={"errorMessage": str(error), "errorType": type(error).__name__},
            function_error="Crash",
            duration_ms=(time.monotonic() - started) * 1000,
        )

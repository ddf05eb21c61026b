"""Typed settings of the record-stream functions, read from the environment once per container."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


class SettingsError(ValueError):
    """An environment variable is missing or malformed (a deployment bug, not a data problem)."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be >= 1, got {value}")
    return value


DEFAULT_WRITE_CONCURRENCY = 8
DEFAULT_WRITE_MAX_ATTEMPTS = 6
DEFAULT_BACKOFF_BASE_MS = 50
DEFAULT_BACKOFF_CAP_MS = 1000
# No retry starts with less than this left before the function's timeout: the records still
# unwritten are reported instead, so Lambda retries just them rather than timing out the invoke
# (a timeout retries, and bisects, the whole batch and replaces the execution environment).
DEFAULT_RETRY_TIME_MARGIN_MS = 3000


@dataclass(frozen=True, slots=True)
class WriteSettings:
    """How BatchWriteItem chunks are sent and how UnprocessedItems are retried."""

    concurrency: int = DEFAULT_WRITE_CONCURRENCY
    max_attempts: int = DEFAULT_WRITE_MAX_ATTEMPTS
    backoff_base_ms: int = DEFAULT_BACKOFF_BASE_MS
    backoff_cap_ms: int = DEFAULT_BACKOFF_CAP_MS
    retry_time_margin_ms: int = DEFAULT_RETRY_TIME_MARGIN_MS

    @classmethod
    def from_env(cls) -> WriteSettings:
        # Attempts and backoff are optional knobs (not in the template): the defaults bound the
        # worst case to ~1.6 s of sleeping per chunk; the time margin bounds the whole write by
        # the function's timeout, whatever botocore's own throttling backoff adds.
        return cls(
            concurrency=_positive_int("WRITE_CONCURRENCY", DEFAULT_WRITE_CONCURRENCY),
            max_attempts=_positive_int("WRITE_MAX_ATTEMPTS", DEFAULT_WRITE_MAX_ATTEMPTS),
            backoff_base_ms=_positive_int("WRITE_BACKOFF_BASE_MS", DEFAULT_BACKOFF_BASE_MS),
            backoff_cap_ms=_positive_int("WRITE_BACKOFF_CAP_MS", DEFAULT_BACKOFF_CAP_MS),
            retry_time_margin_ms=_positive_int(
                "WRITE_RETRY_TIME_MARGIN_MS", DEFAULT_RETRY_TIME_MARGIN_MS
            ),
        )


@dataclass(frozen=True, slots=True)
class ProcessorSettings:
    """Settings of RecordProcessorFunction."""

    processed_table_name: str
    rejected_records_queue_url: str
    write: WriteSettings

    @classmethod
    def from_env(cls) -> ProcessorSettings:
        return cls(
            processed_table_name=_required("PROCESSED_TABLE_NAME"),
            rejected_records_queue_url=_required("REJECTED_RECORDS_QUEUE_URL"),
            write=WriteSettings.from_env(),
        )


@dataclass(frozen=True, slots=True)
class ListenerSettings:
    """Settings of EventListenerFunction (test harness)."""

    listener_table_name: str
    write: WriteSettings

    @classmethod
    def from_env(cls) -> ListenerSettings:
        return cls(
            listener_table_name=_required("LISTENER_TABLE_NAME"),
            write=WriteSettings.from_env(),
        )


# Read on first use rather than at import, so a missing variable fails the invoke with a clear
# error (and tests can set the environment before the first call).
@cache
def processor_settings() -> ProcessorSettings:
    return ProcessorSettings.from_env()


@cache
def listener_settings() -> ListenerSettings:
    return ListenerSettings.from_env()

"""Typed settings of the record-stream functions, read from the environment once per container."""

from __future__ import annotations

from functools import cache

from pydantic import Field

from lambda_observability.env_settings import (
    EnvSettings,
    Required,
    SettingsError,
    settings_from_env,
)

__all__ = [
    "ListenerSettings",
    "ProcessorSettings",
    "SettingsError",
    "WriteSettings",
    "listener_settings",
    "processor_settings",
]

DEFAULT_WRITE_CONCURRENCY = 8
DEFAULT_WRITE_MAX_ATTEMPTS = 6
DEFAULT_BACKOFF_BASE_MS = 50
DEFAULT_BACKOFF_CAP_MS = 1000
# No retry starts with less than this left before the function's timeout: the records still
# unwritten are reported instead, so Lambda retries just them rather than timing out the invoke
# (a timeout retries, and bisects, the whole batch and replaces the execution environment).
DEFAULT_RETRY_TIME_MARGIN_MS = 3000


class WriteSettings(EnvSettings):
    """How BatchWriteItem chunks are sent and how UnprocessedItems are retried.

    Attempts and backoff are optional knobs (not in the template): the defaults bound the worst
    case to ~1.6 s of sleeping per chunk; the time margin bounds the whole write by the
    function's timeout, whatever botocore's own throttling backoff adds.
    """

    concurrency: int = Field(DEFAULT_WRITE_CONCURRENCY, alias="WRITE_CONCURRENCY", ge=1)
    max_attempts: int = Field(DEFAULT_WRITE_MAX_ATTEMPTS, alias="WRITE_MAX_ATTEMPTS", ge=1)
    backoff_base_ms: int = Field(DEFAULT_BACKOFF_BASE_MS, alias="WRITE_BACKOFF_BASE_MS", ge=1)
    backoff_cap_ms: int = Field(DEFAULT_BACKOFF_CAP_MS, alias="WRITE_BACKOFF_CAP_MS", ge=1)
    retry_time_margin_ms: int = Field(
        DEFAULT_RETRY_TIME_MARGIN_MS, alias="WRITE_RETRY_TIME_MARGIN_MS", ge=1
    )


class ProcessorSettings(EnvSettings):
    """Settings of RecordProcessorFunction."""

    processed_table_name: Required = Field(alias="PROCESSED_TABLE_NAME")
    rejected_records_queue_url: Required = Field(alias="REJECTED_RECORDS_QUEUE_URL")
    write: WriteSettings


class ListenerSettings(EnvSettings):
    """Settings of ListenerFunction (test harness)."""

    listener_table_name: Required = Field(alias="LISTENER_TABLE_NAME")
    write: WriteSettings


# Read on first use rather than at import, so a missing variable fails the invoke with a clear
# error (and tests can set the environment before the first call).
@cache
def processor_settings() -> ProcessorSettings:
    return settings_from_env(ProcessorSettings)


@cache
def listener_settings() -> ListenerSettings:
    return settings_from_env(ListenerSettings)

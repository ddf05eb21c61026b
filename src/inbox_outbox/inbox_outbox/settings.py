"""Typed settings of the inbox/outbox functions, read from the environment once per container."""

from __future__ import annotations

from functools import cache
from typing import Self

from pydantic import Field, model_validator

from lambda_observability.env_settings import (
    EnvSettings,
    Required,
    SettingsError,
    settings_from_env,
)

__all__ = [
    "MAX_RECEIVE_WAIT_S",
    "MAX_VISIBILITY_TIMEOUT_S",
    "CheckOutputSettings",
    "ProcessInputSettings",
    "RetryBackoff",
    "SettingsError",
    "check_output_settings",
    "process_input_settings",
]

# SQS caps a visibility timeout at 12 hours and a receive wait at 20 seconds.
MAX_VISIBILITY_TIMEOUT_S = 43_200
MAX_RECEIVE_WAIT_S = 20

DEFAULT_RETRY_BASE_S = 5
DEFAULT_RETRY_MAX_S = 120
DEFAULT_RECEIVE_WAIT_S = 1


class RetryBackoff(EnvSettings):
    """Visibility timeout given to a message that failed for a reason that may go away.

    The delay doubles with each receive (base, 2 x base, 4 x base, ...) up to `max_s`, so a
    throttled or briefly unavailable output queue is retried quickly at first and gently after.
    The knobs are optional (not in the template). With the defaults, a message that keeps failing
    transiently waits 5 + 10 + 20 + 40 + 80 s over its 5 receives (maxReceiveCount) before the
    DLQ: 2.6 min, not the 15 min of the queue's 180 s timeout.
    """

    base_s: int = Field(
        DEFAULT_RETRY_BASE_S, alias="RETRY_BACKOFF_BASE_SECONDS", ge=0, le=MAX_VISIBILITY_TIMEOUT_S
    )
    max_s: int = Field(
        DEFAULT_RETRY_MAX_S, alias="RETRY_BACKOFF_MAX_SECONDS", ge=0, le=MAX_VISIBILITY_TIMEOUT_S
    )

    @model_validator(mode="after")
    def _max_not_below_base(self) -> Self:
        if self.max_s < self.base_s:
            raise ValueError(
                f"RETRY_BACKOFF_MAX_SECONDS ({self.max_s}) must be at least"
                f" RETRY_BACKOFF_BASE_SECONDS ({self.base_s})"
            )
        return self


class ProcessInputSettings(EnvSettings):
    """Settings of ProcessInputQueueFunction."""

    output_queue_url: Required = Field(alias="OUTPUT_QUEUE_URL")
    # Test hook: a message whose `type` equals this is rejected as malformed. None when unset or
    # empty, which is how the template deploys it unless DeployTestResources is true.
    poison_message_type: str | None = Field(None, alias="POISON_MESSAGE_TYPE")
    retry_backoff: RetryBackoff


class CheckOutputSettings(EnvSettings):
    """Settings of CheckOutputQueueFunction."""

    output_queue_url: Required = Field(alias="OUTPUT_QUEUE_URL")
    # A short long-poll: an empty queue answers after this many seconds instead of at once, which
    # avoids SQS's short-poll false empties (it samples a subset of servers) while staying far
    # below the 10 s function timeout.
    receive_wait_s: int = Field(
        DEFAULT_RECEIVE_WAIT_S, alias="RECEIVE_WAIT_SECONDS", ge=0, le=MAX_RECEIVE_WAIT_S
    )


# Read on first use rather than at import, so a missing variable fails the invoke with a clear
# error (and tests can set the environment before the first call).
@cache
def process_input_settings() -> ProcessInputSettings:
    return settings_from_env(ProcessInputSettings)


@cache
def check_output_settings() -> CheckOutputSettings:
    return settings_from_env(CheckOutputSettings)

"""Typed settings of the inbox/outbox functions, read from the environment once per container."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

# SQS caps a visibility timeout at 12 hours and a receive wait at 20 seconds.
MAX_VISIBILITY_TIMEOUT_S = 43_200
MAX_RECEIVE_WAIT_S = 20

# Defaults live in constants, not only as dataclass field defaults: with slots=True the class
# attribute is a slot descriptor, so `cls.field` would not give the default back.
DEFAULT_RETRY_BASE_S = 5
DEFAULT_RETRY_MAX_S = 120
DEFAULT_RECEIVE_WAIT_S = 1


class ConfigError(ValueError):
    """An environment variable is missing or malformed (a deployment bug, not a data problem)."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def _int_in_range(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class RetryBackoff:
    """Visibility timeout given to a message that failed for a reason that may go away.

    The delay doubles with each receive (base, 2 x base, 4 x base, ...) up to `max_s`, so a
    throttled or briefly unavailable output queue is retried quickly at first and gently after.
    """

    base_s: int = DEFAULT_RETRY_BASE_S
    max_s: int = DEFAULT_RETRY_MAX_S


@dataclass(frozen=True, slots=True)
class ProcessInputConfig:
    """Settings of ProcessInputQueueFunction."""

    output_queue_url: str
    # Test hook: a message whose `type` equals this is rejected as malformed. None when unset or
    # empty, which is how the template deploys it unless DeployTestResources is true.
    poison_message_type: str | None
    retry_backoff: RetryBackoff

    @classmethod
    def from_env(cls) -> ProcessInputConfig:
        # The backoff knobs are optional (the template sets the base from its parameter
        # InboxRetryBackoffBaseSeconds, default 5). With the defaults, a message that
        # keeps failing transiently waits 5 + 10 + 20 + 40 + 80 s over its 5 receives
        # (maxReceiveCount) before the DLQ: 2.6 min, not the 15 min of the queue's 180 s timeout.
        base_s = _int_in_range(
            "RETRY_BACKOFF_BASE_SECONDS", DEFAULT_RETRY_BASE_S, 0, MAX_VISIBILITY_TIMEOUT_S
        )
        max_s = _int_in_range(
            "RETRY_BACKOFF_MAX_SECONDS", DEFAULT_RETRY_MAX_S, base_s, MAX_VISIBILITY_TIMEOUT_S
        )
        return cls(
            output_queue_url=_required("OUTPUT_QUEUE_URL"),
            poison_message_type=os.environ.get("POISON_MESSAGE_TYPE", "").strip() or None,
            retry_backoff=RetryBackoff(base_s=base_s, max_s=max_s),
        )


@dataclass(frozen=True, slots=True)
class CheckOutputConfig:
    """Settings of CheckOutputQueueFunction."""

    output_queue_url: str
    # A short long-poll: an empty queue answers after this many seconds instead of at once, which
    # avoids SQS's short-poll false empties (it samples a subset of servers) while staying far
    # below the 10 s function timeout.
    receive_wait_s: int = DEFAULT_RECEIVE_WAIT_S

    @classmethod
    def from_env(cls) -> CheckOutputConfig:
        return cls(
            output_queue_url=_required("OUTPUT_QUEUE_URL"),
            receive_wait_s=_int_in_range(
                "RECEIVE_WAIT_SECONDS", DEFAULT_RECEIVE_WAIT_S, 0, MAX_RECEIVE_WAIT_S
            ),
        )


# Read on first use rather than at import, so a missing variable fails the invoke with a clear
# error (and tests can set the environment before the first call).
@cache
def process_input_config() -> ProcessInputConfig:
    return ProcessInputConfig.from_env()


@cache
def check_output_config() -> CheckOutputConfig:
    return CheckOutputConfig.from_env()

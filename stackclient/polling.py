"""Deadline polling: the one place integration tests wait, instead of sleeps in tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DeadlineExceeded(AssertionError):
    """Raised when a condition did not hold before its deadline; carries the last value seen."""

    def __init__(self, description: str, timeout_s: float, last: object) -> None:
        super().__init__(f"{description}: not true after {timeout_s:.1f}s; last value: {last!r}")
        self.last = last


def wait_until(
    probe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    description: str,
    timeout_s: float,
    interval_s: float = 0.5,
    max_interval_s: float = 5.0,
) -> T:
    """Call ``probe`` until ``done(result)`` or the deadline; the interval grows by half each try.

    The growth keeps a slow AWS stack from being hammered while a fast local one answers at once.
    """
    deadline = time.monotonic() + timeout_s
    last: T = probe()
    while not done(last):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded(description, timeout_s, last)
        time.sleep(min(interval_s, remaining))
        interval_s = min(interval_s * 1.5, max_interval_s)
        last = probe()
    return last

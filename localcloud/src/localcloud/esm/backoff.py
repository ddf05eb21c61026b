"""Exponential backoff that waits on a stop event, so waiting never delays shutdown."""

from __future__ import annotations

import threading


class Backoff:
    def __init__(self, initial_s: float, max_s: float, stop: threading.Event) -> None:
        self._initial = initial_s
        self._max = max_s
        self._next = initial_s
        self._stop = stop

    @property
    def next_delay_s(self) -> float:
        """What the next ``wait`` will sleep."""
        return self._next

    def wait(self) -> bool:
        """Sleeps the next delay; False when stop was requested meanwhile."""
        delay = self._next
        self._next = min(self._next * 2, self._max)
        return not self._stop.wait(delay)

    def reset(self) -> None:
        self._next = self._initial

"""Tumbling windows (``TumblingWindowInSeconds``) of a stream mapping, as Lambda runs them.

From the Lambda developer guide (Kinesis and DynamoDB Streams, "Time windows"): each record
belongs to the window its arrival time falls in (windows are ``TumblingWindowInSeconds`` long,
aligned on multiples of it since the epoch); a batch holds records of one window; every invoke
carries ``window`` (``start``, ``end``), the ``state`` the function returned last in this window
(``{}`` at its start), ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow`` and
``isWindowTerminatedEarly``; the function must answer a JSON object with a ``state`` object (and
may add ``batchItemFailures``), or the invoke counts as failed and is retried as any failed
batch. When the window ends (its end time has passed with nothing more of it to read, a record of
a later window comes, or the shard ends) the function gets a final invoke with no records,
``isFinalInvokeForWindow: true`` and the window's state; a failing final invoke is retried until
it succeeds, holding the shard. A state over 1 MB ends the window early: a final invoke with
``isWindowTerminatedEarly: true``, after which the window goes on with a fresh state.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from localcloud.esm.streams.source import StreamRecord, iso_utc

MAX_STATE_BYTES = 1024 * 1024


@dataclass
class Window:
    start: float  # epoch seconds, a multiple of the window's length
    end: float
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, arrival: float, length_s: int) -> Window:
        start = math.floor(arrival / length_s) * length_s
        return cls(float(start), float(start + length_s))

    @property
    def length_s(self) -> float:
        return self.end - self.start

    def holds(self, arrival: float) -> bool:
        return self.start <= arrival < self.end


Run = tuple[Window, list[StreamRecord]]


def by_window(records: list[StreamRecord], length_s: int) -> list[Run]:
    """Consecutive runs of ``records`` (in shard order) that share a window."""
    runs: list[Run] = []
    for record in records:
        if runs and runs[-1][0].holds(record.arrival):
            runs[-1][1].append(record)
        else:
            runs.append((Window.of(record.arrival, length_s), [record]))
    return runs


def event_fields(
    window: Window, shard_id: str, source_arn: str, *, final: bool, terminated_early: bool
) -> dict[str, Any]:
    """What a windowed invoke's event carries besides ``Records``."""
    return {
        "window": {"start": iso_utc(window.start, False), "end": iso_utc(window.end, False)},
        "state": window.state,
        "shardId": shard_id,
        "eventSourceARN": source_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": terminated_early,
    }


def returned_state(payload: Any) -> dict[str, Any] | None:
    """The ``state`` object of a windowed invoke's response; None when it has none."""
    state = payload.get("state") if isinstance(payload, dict) else None
    return state if isinstance(state, dict) else None


def too_large(state: dict[str, Any]) -> bool:
    return len(json.dumps(state).encode("utf-8")) > MAX_STATE_BYTES

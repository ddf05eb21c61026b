"""The rules in force, their counters and the seeded decisions."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from localcloud.faults.rules import AwsCall, FaultRule


@dataclass
class RuleState:
    """A rule with its counters: requests it matched (``seen``) and faults it injected."""

    id: int
    rule: FaultRule
    seen: int = 0
    hits: int = 0
    first_hit_ms: int | None = None
    last_hit_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.rule.as_dict(),
            "seen": self.seen,
            "hits": self.hits,
            "first_hit_ms": self.first_hit_ms,
            "last_hit_ms": self.last_hit_ms,
        }


@dataclass
class FaultRegistry:
    """The rules in force, their counters and the seeded random source; thread-safe."""

    seed: int | None = None
    _states: list[RuleState] = field(default_factory=list)
    _ids: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible, not secret

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.seed = seed
            self._random = random.Random(seed)  # noqa: S311 - reproducible, not secret

    def add(self, rule: FaultRule) -> int:
        with self._lock:
            self._ids += 1
            self._states.append(RuleState(self._ids, rule))
            return self._ids

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._states)
            self._states = [s for s in self._states if s.id != rule_id]
            return len(self._states) < before

    def clear(self) -> None:
        with self._lock:
            self._states = []

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [state.as_dict() for state in self._states]

    @property
    def active(self) -> bool:
        return bool(self._states)

    def services(self) -> set[str]:
        with self._lock:
            return {state.rule.service for state in self._states}

    def decide(self, call: AwsCall) -> tuple[FaultRule, random.Random] | None:
        """The first rule that matches and fires for this call, counting it; None: no fault."""
        with self._lock:
            for state in self._states:
                rule = state.rule
                if not _matches(rule, call):
                    continue
                if rule.max_hits is not None and state.hits >= rule.max_hits:
                    continue
                state.seen += 1
                if self._random.random() >= rule.probability:
                    continue
                state.hits += 1
                now_ms = time.time_ns() // 1_000_000
                state.first_hit_ms = state.first_hit_ms or now_ms
                state.last_hit_ms = now_ms
                # A private generator per fault, drawn from the seeded one: item choices of
                # concurrent requests do not interleave.
                return rule, random.Random(self._random.getrandbits(64))  # noqa: S311
        return None


def _matches(rule: FaultRule, call: AwsCall) -> bool:
    if rule.service != call.service:
        return False
    if rule.operation not in ("*", call.operation):
        return False
    if rule.source == "functions" and not call.from_function:
        return False
    if rule.source == "api" and not call.from_api:
        return False
    return rule.match is None or rule.match in call.text

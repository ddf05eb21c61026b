"""A fault rule (what to do to which AWS calls) and the call it is matched against."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["unprocessed", "throttle", "error", "delay"]
FaultSource = Literal["functions", "api", "any"]
KINDS: tuple[str, ...] = ("unprocessed", "throttle", "error", "delay")
SOURCES: tuple[str, ...] = ("functions", "api", "any")


class FaultRuleError(ValueError):
    """A rule that cannot be applied (unknown kind, probability out of range...)."""


@dataclass(frozen=True)
class FaultRule:
    service: str  # signing name, as in the credential scope: dynamodb, sqs, kinesis...
    operation: str  # BatchWriteItem, SendMessage...; "*" for any
    kind: FaultKind
    probability: float = 1.0
    seconds: float = 0.0  # delay only
    match: str | None = None  # substring of the request body
    max_hits: int | None = None  # stop firing after this many hits
    source: FaultSource = "functions"
    fraction: float = 0.5  # unprocessed without match: share of items held back (at least one)
    status: int | None = None  # error/throttle overrides
    code: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultRuleError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.source not in SOURCES:
            raise FaultRuleError(f"source must be one of {SOURCES}, got {self.source!r}")
        if not 0.0 <= self.probability <= 1.0 or not 0.0 < self.fraction <= 1.0:
            raise FaultRuleError("probability must be in [0, 1] and fraction in (0, 1]")
        if self.kind == "delay" and self.seconds <= 0:
            raise FaultRuleError("a delay needs seconds > 0")
        if self.kind == "unprocessed" and self.operation not in UNPROCESSED_OPERATIONS:
            raise FaultRuleError(
                f"unprocessed applies to {sorted(UNPROCESSED_OPERATIONS)}, not {self.operation}"
            )

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> FaultRule:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(document) - names
        if unknown:
            raise FaultRuleError(f"unknown fault rule fields: {sorted(unknown)}")
        try:
            return cls(**dict(document))
        except TypeError as error:
            raise FaultRuleError(str(error)) from None

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        """A JSON object, or ``service:Operation:kind[:probability[:seconds]]``."""
        text = text.strip()
        if text.startswith("{"):
            return cls.from_dict(json.loads(text))
        parts = text.split(":")
        if not 3 <= len(parts) <= 5:
            raise FaultRuleError(
                f"expected service:Operation:kind[:probability[:seconds]] or JSON, got {text!r}"
            )
        values: dict[str, Any] = {"service": parts[0], "operation": parts[1], "kind": parts[2]}
        if len(parts) > 3:
            values["probability"] = float(parts[3])
        if len(parts) > 4:
            values["seconds"] = float(parts[4])
        return cls.from_dict(values)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


UNPROCESSED_OPERATIONS = frozenset({"BatchWriteItem", "SendMessageBatch"})


@dataclass(frozen=True)
class AwsCall:
    """What a rule needs to know about one request."""

    service: str
    operation: str
    protocol: Literal["json", "query", "other"]
    body: bytes
    from_function: bool
    from_api: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

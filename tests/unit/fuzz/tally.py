"""Counts of what the fuzz properties sent and where it ended, summed over all examples.

conftest.py prints one line per scenario at the end of the run (and carries the counts from
pytest-xdist workers to the controller), so a run says how much was actually exercised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class ScenarioTally:
    examples: int = 0
    sent: int = 0
    written: int = 0  # valid records whose item (or forwarded message) exists
    items: int = 0  # distinct items / forwarded messages (duplicate keys collapse into one)
    dead_lettered: int = 0  # invalid records / messages found in their DLQ
    lost: int = 0  # neither written nor dead-lettered
    duplicated: int = 0  # an item, forwarded message or DLQ message more than once
    redelivered: int = 0  # extra DLQ copies: a Lambda retry re-sent a rejection (at-least-once)
    invocations: int = 0
    lines: int = 0  # log properties: lines printed at INFO and above
    leaks: int = 0  # log properties: lines holding record data or a message body

    def add(self, other: ScenarioTally) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def line(self, scenario: str) -> str:
        runs = f"[{self.examples} examples, {self.invocations} invocations]"
        if self.lines:
            printed = f"{self.lines} lines printed, {self.leaks} leaks"
            return f"{scenario}: {self.sent} sent, {printed} {runs}"
        text = (
            f"{scenario}: {self.sent} sent, {self.written} written ({self.items} distinct), "
            f"{self.dead_lettered} in DLQ, {self.lost} lost, {self.duplicated} duplicated"
        )
        if self.redelivered:
            text += f", {self.redelivered} extra DLQ copies re-sent by retries (at-least-once)"
        return f"{text} {runs}"


TALLIES: dict[str, ScenarioTally] = {}


def record(scenario: str, counts: ScenarioTally) -> None:
    TALLIES.setdefault(scenario, ScenarioTally()).add(counts)


def export() -> dict[str, dict[str, int]]:
    return {scenario: asdict(counts) for scenario, counts in TALLIES.items()}


def merge(exported: dict[str, dict[str, int]]) -> None:
    for scenario, counts in exported.items():
        record(scenario, ScenarioTally(**counts))


def summary_lines() -> list[str]:
    return [TALLIES[scenario].line(scenario) for scenario in sorted(TALLIES)]

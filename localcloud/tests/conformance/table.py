"""The client x operation table: printed after each run, kept in localcloud/README.md."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pytest

# Clients in the order the README lists them.
CLIENTS = ("AWS CLI v1", "SAM CLI", "AWS SDK for JavaScript v3", "awscurl", "requests-aws4auth")


@dataclass(frozen=True)
class Case:
    client: str
    operation: str
    outcome: str = "not run"

    def __post_init__(self) -> None:
        if self.client not in CLIENTS:
            raise ValueError(f"unknown client {self.client!r}: one of {CLIENTS}")

    def with_outcome(self, outcome: str) -> Case:
        return replace(self, outcome=outcome)


CASES_KEY = pytest.StashKey[dict[str, Case]]()


def table_rows(cases: Iterable[Case], *, with_outcome: bool) -> list[str]:
    ordered = sorted(cases, key=lambda c: (CLIENTS.index(c.client), c.operation))
    return [
        f"| {c.client} | {c.operation} | {c.outcome if with_outcome else 'passes'} |"
        for c in ordered
    ]


def rendered_table(cases: Iterable[Case], *, with_outcome: bool) -> str:
    header = ["| Client | Operation | Result |", "| --- | --- | --- |"]
    return "\n".join(header + table_rows(cases, with_outcome=with_outcome))

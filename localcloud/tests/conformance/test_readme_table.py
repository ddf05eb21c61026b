"""The README's conformance table is the suite's: one row per case, none for a case that is gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conformance.table import CASES_KEY, rendered_table, table_rows

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- conformance-table -->", "<!-- /conformance-table -->"
HERE = Path(__file__).resolve().parent


def test_the_readme_lists_every_case(request: pytest.FixtureRequest) -> None:
    text = README.read_text()
    listed = set(text[text.index(BEGIN) : text.index(END)].splitlines())
    cases = request.config.stash[CASES_KEY].values()
    missing = set(table_rows(cases, with_outcome=False)) - listed
    hint = f"the table for {README.name}:\n{rendered_table(cases, with_outcome=False)}"
    assert not missing, f"rows missing from the README: {sorted(missing)}; {hint}"

    collected = {Path(str(item.path)) for item in request.session.items}
    if set(HERE.glob("test_*.py")) <= collected:  # the whole suite ran: no stale rows either
        rows = {line for line in listed if line.startswith("| ") and "---" not in line}
        rows.discard("| Client | Operation | Result |")
        stale = rows - set(table_rows(cases, with_outcome=False))
        assert not stale, f"rows of no case in the README: {sorted(stale)}; {hint}"

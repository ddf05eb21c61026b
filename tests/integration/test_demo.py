"""`make demo` (python -m stackclient demo) against the stack under test: nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# The demo reads the shared outbox: it takes its turn (see test_inbox_outbox.py).
pytestmark = pytest.mark.usefixtures("outbox_turn")


def test_demo_reports_every_record_and_message_back() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stackclient",
            "demo",
            "--records",
            "200",
            "--messages",
            "10",
            "--timeout",
            "120",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    results = {r["kind"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert results["records"]["sent"] == results["records"]["received"] == 200
    assert results["messages"]["sent"] == results["messages"]["received"] == 10
    assert results["records"]["duplicates"] == results["messages"]["duplicates"] == 0
    assert results["records"]["p50_ms"] <= results["records"]["p99_ms"]

"""``status``: where the running cloud is, and how its pollers are doing."""

from __future__ import annotations

import argparse
import json
import urllib.request
from typing import Any

from localcloud.cli.running import summary
from localcloud.control import POLLERS_PATH
from localcloud.state_file import read_state


def cmd_status(_args: argparse.Namespace) -> int:
    state = read_state()
    if state is None:
        print("no local cloud is running")
        return 1
    print(summary(state))
    print("\nEvent source mappings:")
    print("\n".join(f"  {line}" for line in poller_lines(state["endpoint_url"])))
    print(f"\npid {state['pid']}, log: {state.get('log_file')}")
    return 0


def poller_lines(endpoint_url: str) -> list[str]:
    """One line per polling loop, from the running cloud's ``/_localcloud/pollers``."""
    try:
        with urllib.request.urlopen(endpoint_url + POLLERS_PATH, timeout=5) as answer:  # noqa: S310 - our own endpoint
            pollers: list[dict[str, Any]] = json.loads(answer.read())["pollers"]
    except (OSError, ValueError, KeyError) as error:
        return [f"unknown ({error})"]
    if not pollers:
        return ["none"]
    width = max(len(f"{p['mapping']} {p['loop']}") for p in pollers)
    lines = []
    for poller in pollers:
        name = f"{poller['mapping']} {poller['loop']}".ljust(width)
        if poller["state"] == "ok":
            lines.append(f"{name}  ok" + _past_failures(poller))
            continue
        lines.append(
            f"{name}  BACKING OFF: {poller['consecutive_failures']} failures in a row, "
            f"next try in {poller['retry_in_s']:.1f} s; last error: {poller['last_error']}"
        )
    return lines


def _past_failures(poller: dict[str, Any]) -> str:
    total = int(poller.get("total_failures") or 0)
    return f" ({total} failures earlier; last: {poller['last_error']})" if total else ""

"""``up --persist [--state-dir DIR] [--reset]``: the options, and what ``up`` says about them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from localcloud.config import state_dir

IN_MEMORY_NOTE = (
    "State: in memory only - tables, queues, streams and the API id are gone on stop "
    "(`up --persist` keeps them)."
)


def add_persist_arguments(up: argparse.ArgumentParser) -> None:
    up.add_argument(
        "--persist",
        action="store_true",
        help="keep the stack and its data across stop and up (saved in --state-dir; see "
        "'Persistence' in localcloud/README.md: the folder must be trusted, like a database)",
    )
    up.add_argument(
        "--state-dir", type=Path, help="with --persist: where the cloud is saved (.localcloud/)"
    )
    up.add_argument(
        "--reset",
        action="store_true",
        help="with --persist: drop the saved cloud and deploy afresh",
    )


def persist_options(args: argparse.Namespace) -> dict[str, Any]:
    """The CloudOptions fields of ``--persist``; a usage error for its options without it."""
    if not args.persist and (args.state_dir is not None or args.reset):
        raise SystemExit("localcloud up: --state-dir and --reset go with --persist")
    if not args.persist:
        return {}
    return {"persist_dir": args.state_dir or state_dir(), "reset_saved_state": args.reset}


def state_note(persist_dir: Path | None, restored: bool, interval_s: float) -> str:
    if persist_dir is None:
        return IN_MEMORY_NOTE
    how = "restored from" if restored else "new; saved in"
    return (
        f"State: {how} {persist_dir} (saved on stop, and every {interval_s:g} s while it "
        "changes: a kill -9 loses at most that; see 'Persistence' in the local cloud's README)."
    )

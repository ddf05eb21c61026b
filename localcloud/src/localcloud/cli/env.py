"""``env``: the running cloud's client exports, for ``eval "$(python -m localcloud env)"``."""

from __future__ import annotations

import argparse
import shlex
import sys

from localcloud.cli.running import endpoints_of
from localcloud.state_file import read_state


def cmd_env(_args: argparse.Namespace) -> int:
    """Print the client exports of the running cloud, for `eval "$(python -m localcloud env)"`."""
    state = read_state()
    if state is None:
        print("no local cloud is running; start one with `make local-detach`", file=sys.stderr)
        return 1
    for name, value in endpoints_of(state).client_env().items():
        print(f"export {name}={shlex.quote(value)}")
    return 0

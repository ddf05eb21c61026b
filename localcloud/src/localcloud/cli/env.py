"""``env``: the running cloud's client exports, for ``eval "$(python -m localcloud env)"``."""

from __future__ import annotations

import argparse
import shlex
import sys

from localcloud.cli.running import endpoints_of
from localcloud.proxy.client_env import proxy_client_env
from localcloud.state_file import read_state


def cmd_env(args: argparse.Namespace) -> int:
    """Print the client exports of the running cloud, for `eval "$(python -m localcloud env)"`."""
    state = read_state()
    if state is None:
        print("no local cloud is running; start one with `make local-detach`", file=sys.stderr)
        return 1
    endpoints = endpoints_of(state)
    try:
        env = proxy_client_env(endpoints) if args.proxy else endpoints.client_env()
    except ValueError as error:
        print(f"env --proxy: {error}; restart it with `make local-detach`", file=sys.stderr)
        return 1
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0

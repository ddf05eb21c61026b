"""``run -- CMD...``: a fresh cloud for the duration of CMD (how ``make integration`` runs)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from localcloud.cli.launch import cloud_options, new_cloud, setup_logging
from localcloud.config import state_dir
from localcloud.proxy.client_env import proxy_client_env


def cmd_run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("run: give a command after --", file=sys.stderr)
        return 2
    setup_logging(state_dir() / "run.log", verbose=False)
    cloud = new_cloud(cloud_options(args))
    cloud.start()
    print(
        f"local cloud up in {cloud.options.timings['ready_s']:.1f} s "
        f"({cloud.endpoint_url}); running: {' '.join(command)}",
        file=sys.stderr,
        flush=True,
    )
    client_env = proxy_client_env(cloud.endpoints) if args.proxy else cloud.endpoints.client_env()
    env = {**os.environ, **client_env}
    if args.proxy:
        env.pop("AWS_ENDPOINT_URL", None)  # the caller's own, if any: AWS's endpoints it is
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    try:
        return subprocess.call(command, env=env)  # noqa: S603 - the user's own command
    finally:
        cloud.stop()

"""The command line's arguments; each subcommand's handler is in its own module."""

from __future__ import annotations

import argparse
import os
from typing import Any

from localcloud.browser_guard import ORIGINS_ENV
from localcloud.cli.env import cmd_env
from localcloud.cli.invoke import cmd_invoke
from localcloud.cli.run import cmd_run
from localcloud.cli.status import cmd_status
from localcloud.cli.stop import cmd_stop
from localcloud.cli.up import cmd_up
from localcloud.cli.up_persist import add_persist_arguments
from localcloud.config import (
    DEFAULT_CONFIG_ENV,
    DEFAULT_DEBUG_PORT,
    api_port_from_env,
    port_from_env,
)

# The help text: what the package's docstring says about the commands.
DESCRIPTION = """Command line of the local cloud (``python -m localcloud ...``).

- ``up``: deploy and stay up until Ctrl-C (``--detach``: in the background, state in
  ``.localcloud/state.json``, log in ``.localcloud/localcloud.log``);
- ``stop`` / ``status``: of the cloud the state file describes;
- ``run -- CMD...``: a fresh cloud for the duration of CMD (how ``make integration`` runs pytest);
- ``invoke FUNCTION -e EVENT.json``: a Docker-free ``sam local invoke``, against the running cloud
  or an ephemeral one.
"""


def _add_cloud_arguments(
    parser: argparse.ArgumentParser, default_port: int, default_api_port: int
) -> None:
    parser.add_argument("--stack-name", help="default: samconfig.toml's, else 'local'")
    parser.add_argument("--config-env", default=DEFAULT_CONFIG_ENV, help="samconfig.toml section")
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        metavar="KEY=VALUE",
        help="override samconfig.toml and template defaults",
    )
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument(
        "--port", type=int, default=default_port, help="moto server port (0: any free port)"
    )
    parser.add_argument(
        "--api-port", type=int, default=default_api_port, help="API front port (0: any free port)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        type=_fault_rule,
        metavar="RULE",
        help="inject a fault into the functions' AWS calls: service:Operation:kind[:probability"
        "[:seconds]] or a JSON rule (see localcloud/faults.py); repeatable",
    )
    parser.add_argument("--fault-seed", type=int, help="seed of the fault decisions")
    parser.add_argument(
        "--cors-allow-origin",
        action="append",
        metavar="ORIGIN",
        help="let web pages from ORIGIN (e.g. http://localhost:3000; '*' for any) call the "
        f"moto port from a browser; repeatable, added to ${ORIGINS_ENV} (comma-separated). "
        "Default: none",
    )
    parser.add_argument(
        "--function-timeout",
        action="append",
        type=_function_timeout,
        metavar="FUNCTION=SECONDS",
        help="override a function's Timeout (logical id or name); repeatable",
    )


def _add_hot_reload(parser: argparse.ArgumentParser, default: bool) -> None:
    parser.add_argument(
        "--hot-reload",
        action=argparse.BooleanOptionalAction,
        default=default,
        help="recycle a function's workers when its CodeUri or a layer's ContentUri changes "
        f"(default: {'on' if default else 'off'})",
    )


def _add_debugger(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug-function",
        metavar="NAME",
        help="run this function (logical id or name) under debugpy, one worker, its timeout "
        "held while a debugger is attached",
    )
    parser.add_argument(
        "--debug-port",
        type=_port,
        metavar="PORT",
        help=f"where --debug-function's worker listens (default {DEFAULT_DEBUG_PORT})",
    )


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text!r}")
    return int(text)


def check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Options that mean something only with another one."""
    if getattr(args, "debug_port", None) is not None and not args.debug_function:
        parser.error("--debug-port needs --debug-function NAME")


def _fault_rule(text: str) -> Any:
    from localcloud.faults import FaultRule  # noqa: PLC0415 - keep stop/status imports light

    try:
        return FaultRule.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _function_timeout(text: str) -> tuple[str, int]:
    from localcloud.functions.timeouts import parse_function_timeout  # noqa: PLC0415

    try:
        return parse_function_timeout(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _env_port(name: str) -> int:
    """An explicitly configured port, else 0 (any free port)."""
    return int(os.environ.get(name) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command_name", required=True)

    up = commands.add_parser("up", help="deploy template.yaml locally and stay up")
    _add_cloud_arguments(up, port_from_env(), api_port_from_env())
    up.add_argument("--detach", action="store_true", help="run in the background")
    up.add_argument("--quiet", action="store_true", help="logs to the log file only")
    _add_hot_reload(up, default=True)
    _add_debugger(up)
    add_persist_arguments(up)
    up.set_defaults(handler=cmd_up)

    commands.add_parser("stop", help="stop a detached local cloud").set_defaults(handler=cmd_stop)
    commands.add_parser("status", help="is one running, and where").set_defaults(handler=cmd_status)
    commands.add_parser("env", help="print the exports for a shell (eval it)").set_defaults(
        handler=cmd_env
    )

    run = commands.add_parser("run", help="run a command against a fresh local cloud")
    # Free ports unless configured: `make integration` must work while `make local` runs.
    _add_cloud_arguments(run, _env_port("LOCALCLOUD_PORT"), _env_port("LOCALCLOUD_API_PORT"))
    _add_hot_reload(run, default=False)  # a test run does not edit its code
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    run.set_defaults(handler=cmd_run)

    invoke = commands.add_parser("invoke", help="invoke one function (sam local invoke)")
    invoke.add_argument("function", help="logical id (e.g. RecordProcessorFunction) or name")
    invoke.add_argument("-e", "--event", help="event JSON file, '-' for stdin; default {}")
    _add_cloud_arguments(invoke, 0, 0)
    invoke.set_defaults(handler=cmd_invoke)
    return parser

"""Command line of the local cloud (``python -m localcloud ...``).

- ``up``: deploy and stay up until Ctrl-C (``--detach``: in the background, state in
  ``.localcloud/state.json``, log in ``.localcloud/localcloud.log``);
- ``stop`` / ``status``: of the cloud the state file describes;
- ``run -- CMD...``: a fresh cloud for the duration of CMD (how ``make integration`` runs pytest);
- ``invoke FUNCTION -e EVENT.json``: a Docker-free ``sam local invoke``, against the running cloud
  or an ephemeral one.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import errno
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.browser_guard import ORIGINS_ENV, normalise_origins, origins_from_env
from localcloud.config import (
    DEFAULT_CONFIG_ENV,
    DEFAULT_STACK_NAME,
    Endpoints,
    api_port_from_env,
    port_from_env,
    region_from_env,
    state_dir,
)
from localcloud.control import POLLERS_PATH
from localcloud.deploy.parameters import samconfig_stack_name
from localcloud.process_identity import own_identity, pid_alive
from localcloud.state_file import is_cloud, read_state, remove_state, write_state
from localcloud.summary import stack_facts
from localcloud.summary import summary as summary_of

if TYPE_CHECKING:
    from localcloud.cloud import CloudOptions, LocalCloud
    from localcloud.specs import DeployedStack

LOG_FILE = "localcloud.log"
# The first `up` of a project installs its requirements.txt files (pip) before it is ready.
DETACH_TIMEOUT_S = 300.0


def _state_of(cloud: LocalCloud, stack: DeployedStack) -> dict[str, Any]:
    endpoints = cloud.endpoints
    return {
        "pid": os.getpid(),
        "process": own_identity().as_dict(),
        "stack_name": stack.stack_name,
        "region": stack.region,
        "endpoint_url": endpoints.endpoint_url,
        "api_front_url": endpoints.api_front_url,
        "outputs": stack.outputs,
        "functions": {spec.logical_id: name for name, spec in stack.functions.items()},
        "rest_apis": [{"id": api.rest_api_id, "stage": api.stage_name} for api in stack.rest_apis],
        "ready_s": round(cloud.options.timings.get("ready_s", 0.0), 3),
        "log_file": str(state_dir() / LOG_FILE),
        **stack_facts(stack),
    }


def _endpoints_of(state: dict[str, Any]) -> Endpoints:
    return Endpoints(
        endpoint_url=state["endpoint_url"],
        api_front_url=state.get("api_front_url"),
        region=state["region"],
        stack_name=state["stack_name"],
    )


def summary(state: dict[str, Any]) -> str:
    return summary_of(state, _endpoints_of(state))


# ---------------------------------------------------------------- commands


def _setup_logging(log_file: Path | None, verbose: bool) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers[0].setLevel(logging.INFO if verbose else logging.WARNING)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        handlers=handlers,
        force=True,
    )
    # One line per HTTP request from werkzeug drowns the function logs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _options(args: argparse.Namespace, **overrides: Any) -> CloudOptions:
    # Imported here: moto takes ~2 s to import, and stop/status/detach never need it.
    from localcloud.cloud import CloudOptions  # noqa: PLC0415

    template = Path(args.template)
    stack_name = args.stack_name or samconfig_stack_name(
        template.parent / "samconfig.toml", args.config_env
    )
    values: dict[str, Any] = {
        "template": template,
        "stack_name": stack_name or DEFAULT_STACK_NAME,
        "region": region_from_env(),
        "config_env": args.config_env,
        "parameter_overrides": tuple(args.parameter_overrides or ()),
        "port": args.port,
        "api_port": args.api_port,
        "faults": tuple(args.fault or ()),
        "fault_seed": args.fault_seed,
        "function_timeouts": dict(args.function_timeout or ()),
        "cors_allow_origins": normalise_origins(
            [*origins_from_env(), *(args.cors_allow_origin or ())]
        ),
    }
    values.update(overrides)
    return CloudOptions(**values)


def _cloud(options: CloudOptions) -> LocalCloud:
    from localcloud.cloud import LocalCloud  # noqa: PLC0415

    return LocalCloud(options)


def _wait_for_signal() -> None:
    stopped = threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    while not stopped.wait(1.0):
        pass


def cmd_up(args: argparse.Namespace) -> int:
    running = read_state()
    if running is not None:
        print(f"a local cloud is already running (pid {running['pid']}); `stop` it first")
        return 1
    if args.detach:
        return _up_detached(args)
    log_file = state_dir() / LOG_FILE
    _setup_logging(log_file, verbose=not args.quiet)
    cloud = _cloud(_options(args))
    stack = cloud.start()
    state = _state_of(cloud, stack)
    write_state(state)
    try:
        print(summary(state), flush=True)
        print("\nCtrl-C stops it.", flush=True)
        _wait_for_signal()
    finally:
        cloud.stop()
        remove_state(os.getpid())
        logging.getLogger(__name__).info("local cloud stopped")
    return 0


def _up_detached(args: argparse.Namespace) -> int:
    log_file = state_dir() / LOG_FILE
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # The same command line, less the flag that detaches (or its abbreviation), plus --quiet.
    passed = [arg for arg in args.argv if not (len(arg) > 3 and "--detach".startswith(arg))]
    command = [sys.executable, "-m", "localcloud", *passed, "--quiet"]
    with log_file.open("ab") as log_handle:
        child = subprocess.Popen(  # noqa: S603 - our own module
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the terminal that started it
        )
    deadline = time.monotonic() + DETACH_TIMEOUT_S
    while time.monotonic() < deadline:
        state = read_state()
        if state is not None and state["pid"] == child.pid:
            print(summary(state))
            print(f"\nRunning in the background (pid {child.pid}); log: {log_file}")
            print("`python -m localcloud stop` stops it.")
            return 0
        if child.poll() is not None:
            break
        time.sleep(0.1)
    else:
        child.kill()
    print(f"the local cloud did not start; last lines of {log_file}:", file=sys.stderr)
    print("\n".join(log_file.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
    return 1


def cmd_stop(_args: argparse.Namespace) -> int:
    state = read_state()
    if state is None:
        print("no local cloud is running")
        return 0
    pid = int(state["pid"])
    # Checked again before each signal: the cloud may exit meanwhile and its PID be reused.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while pid_alive(pid) and is_cloud(pid, state) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid) and is_cloud(pid, state):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    remove_state(pid)
    print(f"stopped the local cloud (pid {pid})")
    return 0


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


def cmd_env(_args: argparse.Namespace) -> int:
    """Print the client exports of the running cloud, for `eval "$(python -m localcloud env)"`."""
    state = read_state()
    if state is None:
        print("no local cloud is running; start one with `make local-detach`", file=sys.stderr)
        return 1
    for name, value in _endpoints_of(state).client_env().items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("run: give a command after --", file=sys.stderr)
        return 2
    _setup_logging(state_dir() / "run.log", verbose=False)
    cloud = _cloud(_options(args))
    cloud.start()
    print(
        f"local cloud up in {cloud.options.timings['ready_s']:.1f} s "
        f"({cloud.endpoint_url}); running: {' '.join(command)}",
        file=sys.stderr,
        flush=True,
    )
    env = {**os.environ, **cloud.endpoints.client_env()}
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    try:
        return subprocess.call(command, env=env)  # noqa: S603 - the user's own command
    finally:
        cloud.stop()


def _load_event(path: str | None) -> Any:
    if path is None:
        return {}
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return json.loads(text) if text.strip() else {}


def cmd_invoke(args: argparse.Namespace) -> int:
    event = _load_event(args.event)
    state = read_state()
    if state is not None:
        from localcloud.clients import local_client  # noqa: PLC0415 - only this path needs boto3

        client = local_client("lambda", state["endpoint_url"], state["region"])
        response = client.invoke(
            FunctionName=args.function, Payload=json.dumps(event).encode(), LogType="Tail"
        )
        print(base64.b64decode(response.get("LogResult", "")).decode(), end="", file=sys.stderr)
        print(response["Payload"].read().decode())
        return 1 if response.get("FunctionError") else 0
    _setup_logging(None, verbose=False)
    cloud = _cloud(_options(args, with_esm=False, with_api=False, prewarm=False))
    cloud.start()
    try:
        assert cloud.invoker is not None
        result = cloud.invoker.invoke(args.function, event)
    finally:
        cloud.stop()
    print(result.log_tail, end="", file=sys.stderr)
    print(json.dumps(result.payload))
    return 0 if result.ok else 1


# ---------------------------------------------------------------- argument parsing


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
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    commands = parser.add_subparsers(dest="command_name", required=True)

    up = commands.add_parser("up", help="deploy template.yaml locally and stay up")
    _add_cloud_arguments(up, port_from_env(), api_port_from_env())
    up.add_argument("--detach", action="store_true", help="run in the background")
    up.add_argument("--quiet", action="store_true", help="logs to the log file only")
    up.set_defaults(handler=cmd_up)

    commands.add_parser("stop", help="stop a detached local cloud").set_defaults(handler=cmd_stop)
    commands.add_parser("status", help="is one running, and where").set_defaults(handler=cmd_status)
    commands.add_parser("env", help="print the exports for a shell (eval it)").set_defaults(
        handler=cmd_env
    )

    run = commands.add_parser("run", help="run a command against a fresh local cloud")
    # Free ports unless configured: `make integration` must work while `make local` runs.
    _add_cloud_arguments(run, _env_port("LOCALCLOUD_PORT"), _env_port("LOCALCLOUD_API_PORT"))
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    run.set_defaults(handler=cmd_run)

    invoke = commands.add_parser("invoke", help="invoke one function (sam local invoke)")
    invoke.add_argument("function", help="logical id (e.g. RecordProcessorFunction) or name")
    invoke.add_argument("-e", "--event", help="event JSON file, '-' for stdin; default {}")
    _add_cloud_arguments(invoke, 0, 0)
    invoke.set_defaults(handler=cmd_invoke)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return int(args.handler(args))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(error, file=sys.stderr)  # says which port and how to choose another
        return 1

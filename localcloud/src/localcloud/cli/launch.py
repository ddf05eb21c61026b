"""A cloud from the parsed options, for the commands that start one (up, run, invoke)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.browser_guard import normalise_origins, origins_from_env
from localcloud.config import DEFAULT_DEBUG_PORT, DEFAULT_STACK_NAME, region_from_env
from localcloud.deploy.parameters import samconfig_stack_name

if TYPE_CHECKING:
    from localcloud.cloud import CloudOptions, LocalCloud

LOG_FILE = "localcloud.log"


def setup_logging(log_file: Path | None, verbose: bool) -> None:
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


def cloud_options(args: argparse.Namespace, **overrides: Any) -> CloudOptions:
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
    # Not every command has these (invoke neither reloads nor debugs).
    debug_function = getattr(args, "debug_function", None)
    values |= {
        "hot_reload": getattr(args, "hot_reload", False),
        "debug_function": debug_function,
        "debug_port": (args.debug_port or DEFAULT_DEBUG_PORT) if debug_function else None,
    }
    values.update(overrides)
    return CloudOptions(**values)


def new_cloud(options: CloudOptions) -> LocalCloud:
    from localcloud.cloud import LocalCloud  # noqa: PLC0415

    return LocalCloud(options)

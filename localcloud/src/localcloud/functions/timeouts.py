"""Functions' timeouts lowered for a scenario (CLI ``--function-timeout``, ``CloudOptions``).

Not a fault: the functions run as deployed, only sooner cut off, so a slow dependency (a
``delay`` fault) makes their invokes time out within a test's patience.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from localcloud.specs import DeployedStack

log = logging.getLogger(__name__)


def parse_function_timeout(text: str) -> tuple[str, int]:
    """``LogicalIdOrName=SECONDS`` (CLI ``--function-timeout``)."""
    name, sep, seconds = text.partition("=")
    if not sep or not name or not seconds.strip().isdigit() or int(seconds) < 1:
        raise ValueError(f"expected FUNCTION=SECONDS (seconds >= 1), got {text!r}")
    return name.strip(), int(seconds)


def with_function_timeouts(stack: DeployedStack, timeouts: Mapping[str, int]) -> DeployedStack:
    """The stack with some functions' Timeout replaced (by logical id or physical name)."""
    if not timeouts:
        return stack
    functions = dict(stack.functions)
    for name, seconds in timeouts.items():
        matches = [
            physical
            for physical, spec in functions.items()
            if name in (spec.logical_id, spec.function_name)
        ]
        if not matches:
            known = sorted(spec.logical_id for spec in functions.values())
            raise ValueError(f"--function-timeout: no function {name!r} (functions: {known})")
        for physical in matches:
            functions[physical] = dataclasses.replace(functions[physical], timeout_s=int(seconds))
            log.info("timeout of %s lowered to %d s", functions[physical].logical_id, seconds)
    return dataclasses.replace(stack, functions=functions)

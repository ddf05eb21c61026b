"""A function's configuration as Lambda's API reports it, applied to the spec its workers run.

One mapping for both moments: the deploy (``GetFunction`` after moto created the function) and a
later ``UpdateFunctionConfiguration`` (``localcloud.server`` hands moto's answer to the invoker,
whose pool then starts new workers with it, as Lambda starts new execution environments).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from localcloud.specs import FunctionSpec


def environment_strings(variables: Mapping[str, Any]) -> dict[str, str]:
    """Lambda environment values are strings: CloudFormation makes a Ref to a Number parameter
    "5", where moto keeps the number (which a worker's environment cannot hold)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in variables.items()}


def configured(spec: FunctionSpec, config: Mapping[str, Any]) -> FunctionSpec:
    """``spec`` with what ``config`` (a ``FunctionConfiguration``) sets: the handler, timeout,
    memory size and environment; anything it leaves out keeps the spec's value."""
    environment = config.get("Environment")
    return dataclasses.replace(
        spec,
        handler=str(config.get("Handler", spec.handler)),
        runtime=str(config.get("Runtime", spec.runtime)),
        timeout_s=int(config.get("Timeout", spec.timeout_s)),
        memory_mb=int(config.get("MemorySize", spec.memory_mb)),
        environment=(
            environment_strings(environment.get("Variables") or {})
            if isinstance(environment, Mapping)
            else spec.environment
        ),
    )

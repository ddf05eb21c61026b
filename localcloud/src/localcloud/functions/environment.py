"""The environment a worker runs with: the function's variables plus what Lambda sets.

Reserved variables win over the function's own, as in Lambda. Nothing of the caller's AWS
configuration leaks in (profiles, session tokens): workers talk to the local cloud only.
"""

from __future__ import annotations

import os

from localcloud.config import local_aws_env
from localcloud.specs import FunctionSpec

# Enough of the host environment for Python and subprocesses to behave.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def worker_environment(spec: FunctionSpec, endpoint_url: str, region: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(spec.environment)
    env.update(
        {
            **local_aws_env(endpoint_url, region),
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            # Not set by Lambda (the context carries the deadline); SAM CLI's emulator sets it.
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_s),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
            # Each worker (execution environment) sets its own stream name over this one.
            "AWS_LAMBDA_LOG_STREAM_NAME": f"localcloud/[$LATEST]{spec.function_name}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime or 'python3.13'}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            # No X-Ray daemon locally: Powertools Tracer would try to emit segments.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    if spec.log_format == "JSON":
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
    return env

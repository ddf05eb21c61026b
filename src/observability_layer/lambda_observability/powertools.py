"""Powertools Logger, Tracer and Metrics for every function of the stack.

Service name, log level, metrics namespace and log_event come from the POWERTOOLS_* environment
variables the template sets, so one module serves all four functions.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from lambda_observability.log_redaction import PayloadRedactingFormatter

# Record data and message bodies never reach a line above DEBUG (log_redaction.py).
logger = Logger(logger_formatter=PayloadRedactingFormatter())
# Patch only botocore (our only I/O): the default patches every library X-Ray knows, importing
# requests and friends at cold start for nothing.
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()

__all__ = ["MetricUnit", "logger", "metrics", "tracer"]

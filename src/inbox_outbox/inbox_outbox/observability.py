"""Powertools Logger, Tracer and Metrics shared by the inbox/outbox handlers.

Service name, log level, metrics namespace and log_event come from the POWERTOOLS_* environment
variables the template sets, so one module serves both functions.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()

__all__ = ["MetricUnit", "logger", "metrics", "tracer"]

"""Per-test isolation of the process-global Powertools state that every handler shares.

The handlers' Logger, Tracer and Metrics (``lambda_observability.powertools``) are created once
per process, at import, as in a Lambda container: Metrics keeps the namespace of the environment
at that moment and its metric, dimension and metadata sets in class-level dicts, Logger keeps
appended keys (Lambda context, correlation id) and each utility has a cold-start flag. Tests import
the handlers at collection, in whatever order pytest, pytest-randomly or an xdist worker collects
them, so nothing read or left at import may decide a test's outcome: each test starts from the
same state, that of a fresh container, and this fixture puts back what it found afterwards.
The environment, moto and the handlers' cached settings and clients are set per test by each
folder's own fixtures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.logging import logger as powertools_logger_module
from aws_lambda_powertools.metrics.provider import cold_start as metrics_cold_start
from aws_lambda_powertools.tracing import tracer as powertools_tracer_module

from lambda_observability.powertools import logger, metrics
from tests.unit.moto_serial import serialise_moto

serialise_moto()  # for every unit test: moto's models are not thread-safe (see moto_serial.py)

# What the template's POWERTOOLS_METRICS_NAMESPACE would give a deployed function. Without a
# namespace every flush fails ("Must contain a metric namespace"), and the environment at import
# time is whatever the first collected module happened to see.
UNIT_TEST_METRICS_NAMESPACE = "SamStreamsAndQueuesUnitTests"


@pytest.fixture(autouse=True)
def powertools_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(metrics, "namespace", UNIT_TEST_METRICS_NAMESPACE)
    for module in (powertools_logger_module, metrics_cold_start, powertools_tracer_module):
        monkeypatch.setattr(module, "is_cold_start", True)

    provider = metrics.provider
    saved_default_dimensions = dict(provider.default_dimensions)
    formatter = logger.registered_formatter
    saved_log_format = dict(formatter.log_format)
    std_logger = logging.getLogger(logger.name)
    saved_level, saved_handlers = std_logger.level, list(std_logger.handlers)

    # A fresh container: no metric, dimension or metadata left by an earlier (failed) invoke, no
    # appended log keys.
    metrics.clear_default_dimensions()
    metrics.clear_metrics()
    logger.clear_state()
    try:
        yield
    finally:
        metrics.clear_default_dimensions()
        metrics.clear_metrics()
        metrics.set_default_dimensions(**saved_default_dimensions)
        formatter.log_format = saved_log_format
        std_logger.setLevel(saved_level)
        std_logger.handlers[:] = saved_handlers

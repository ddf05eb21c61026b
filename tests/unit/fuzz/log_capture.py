"""Everything a function would print at INFO: its log lines and whatever it writes to stdout.

Records are collected from the root logger and the functions' Powertools loggers (at INFO, as
the template's default LogLevel deploys them) and formatted by the Powertools JSON formatter,
the way Lambda would print them, including extra fields and exception text. Writes to stdout
(the EMF metrics blob) are captured too.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from lambda_observability.powertools import logger

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def logging_events(handler: HandlerT) -> HandlerT:
    """The handler as deployed with POWERTOOLS_LOGGER_LOG_EVENT=true: Powertools logs the whole
    event at INFO before the handler runs (the redacting formatter must hold)."""
    return logger.inject_lambda_context(log_event=True)(handler)


class _Collector(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(formatter)
        self.lines: list[str] = []
        self._seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        # A record may reach two of the loggers below (propagation); print it once.
        if id(record) not in self._seen:
            self._seen.add(id(record))
            self.lines.append(self.format(record))


@contextlib.contextmanager
def printed_at_info(*function_loggers: Logger) -> Iterator[list[str]]:
    """Yield a list that holds, after the block, every line printed at INFO and above."""
    collector = _Collector(function_loggers[0].registered_formatter)
    loggers = [logging.getLogger(), *(logging.getLogger(log.name) for log in function_loggers)]
    levels = [log.level for log in loggers]
    stdout = io.StringIO()
    printed: list[str] = []
    for log in loggers:
        log.addHandler(collector)
        log.setLevel(logging.INFO)
    try:
        with contextlib.redirect_stdout(stdout):
            yield printed
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.removeHandler(collector)
            log.setLevel(level)
        printed.extend(collector.lines)
        printed.extend(stdout.getvalue().splitlines())

"""Lambda's platform lines in CloudWatch Logs: stream names, START/END/REPORT as Lambda has them.

A worker prints ``START``/``END``/``REPORT`` in Lambda's text form on its stdout (the terminal
shows them as they are). For CloudWatch, ``FunctionLog`` adds what only the parent knows
(``Init Duration`` on an execution environment's first invoke) and, for a function whose
``LoggingConfig.LogFormat`` is ``JSON``, rewrites them as Lambda's JSON system records: at the
default system log level (INFO) Lambda writes ``platform.start`` and ``platform.report`` and no
END line. Everything else the handler prints is shipped as it is, one event per line.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

# (timestamp in ms, message) -> queued for delivery.
Submit = Callable[[int, str], None]

START = re.compile(r"^START RequestId: (?P<id>\S+) Version: (?P<version>\S+)$")
END = re.compile(r"^END RequestId: (?P<id>\S+)$")
REPORT = re.compile(
    r"^REPORT RequestId: (?P<id>\S+)\tDuration: (?P<duration>[\d.]+) ms\t"
    r"Billed Duration: (?P<billed>\d+) ms\tMemory Size: (?P<memory>\d+) MB\t"
    r"Max Memory Used: (?P<used>\d+) MB(?P<rest>.*)$"
)


def log_stream_name(now: float | None = None) -> str:
    """``YYYY/MM/DD/[$LATEST]<32 hex>``: one per execution environment, dated when it starts."""
    day = time.strftime("%Y/%m/%d", time.gmtime(now if now is not None else time.time()))
    return f"{day}/[$LATEST]{uuid.uuid4().hex}"


def report_line(
    request_id: str,
    duration_ms: float,
    memory_mb: int,
    used_mb: int,
    *,
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    """A REPORT line for an invoke the worker could not report itself (timeout, crash)."""
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {used_mb} MB"
    )
    if status:
        line += f"\tStatus: {status}"
    if error_type:
        line += f"\tError Type: {error_type}"
    return line


def _iso(timestamp_ms: int) -> str:
    moment = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _record(kind: str, timestamp_ms: int, record: dict[str, Any]) -> str:
    return json.dumps({"time": _iso(timestamp_ms), "type": kind, "record": record})


class FunctionLog:
    """One execution environment's log stream: what its worker prints, as CloudWatch holds it."""

    def __init__(self, submit: Submit, log_format: str = "Text") -> None:
        self._submit = submit
        self._json = log_format.upper() == "JSON"
        self._init_ms: float | None = None

    def cold_start(self, init_ms: float) -> None:
        """The environment's init took ``init_ms``: its first REPORT says so."""
        self._init_ms = init_ms

    def write(self, line: str, timestamp_ms: int | None = None) -> None:
        when = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        message = self._platform(line, when) if line[:3] in ("STA", "END", "REP") else line
        if message is not None:
            self._submit(when, message)

    def _platform(self, line: str, when: int) -> str | None:
        if match := START.match(line):
            if not self._json:
                return line
            record = {"requestId": match["id"], "version": match["version"]}
            return _record("platform.start", when, record)
        if END.match(line):
            return None if self._json else line
        if match := REPORT.match(line):
            return self._report(line, match, when)
        return line

    def _report(self, line: str, match: re.Match[str], when: int) -> str:
        init_ms, self._init_ms = self._init_ms, None
        if not self._json:
            if init_ms is None:
                return line
            head = line[: match.start("rest")]
            return f"{head}\tInit Duration: {init_ms:.2f} ms{match['rest']}"
        metrics: dict[str, Any] = {
            "durationMs": float(match["duration"]),
            "billedDurationMs": int(match["billed"]),
            "memorySizeMB": int(match["memory"]),
            "maxMemoryUsedMB": int(match["used"]),
        }
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 2)
        fields = dict(re.findall(r"\t([A-Za-z ]+): ([^\t]+)", match["rest"]))
        record: dict[str, Any] = {
            "requestId": match["id"],
            "metrics": metrics,
            "status": fields.get("Status", "success"),
        }
        if "Error Type" in fields:
            record["errorType"] = fields["Error Type"]
        return _record("platform.report", when, record)

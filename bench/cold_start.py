"""Part 2: cold start -- import time of each handler module as a ratio to `import boto3` alone.

Each measurement is a fresh `python -X importtime -c "import MODULE"`, in the environment Lambda
gives a function (LAMBDA_TASK_ROOT set, so Powertools' Tracer is enabled and patches botocore
as it does on AWS). The import time of MODULE is the sum of the cumulative times of the
top-level imports that interpreter startup does not already do (site, encodings, ...).
Modules are measured round-robin, several times, and the medians compared.

The breakdown groups every module's *self* time by top-level package (aws_xray_sdk, botocore,
pydantic, ...), which is how to see what a handler pays for at import.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.processes import LAYER_DIR, REPO
from bench.stats import markdown_table, median

BASELINE = "boto3"
HANDLERS = {
    # function (template.yaml) -> (module, code directory)
    "RecordProcessorFunction": ("record_stream.handlers.process_records", "src/record_stream"),
    "ListenerFunction": ("record_stream.handlers.listener", "src/record_stream"),
    "ProcessInputQueueFunction": ("inbox_outbox.handlers.process_input", "src/inbox_outbox"),
    "CheckOutputQueueFunction": ("inbox_outbox.handlers.check_output", "src/inbox_outbox"),
}
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)$")
LAMBDA_ENV = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "bench-function",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "SamStreamsAndQueues",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


@dataclass(frozen=True)
class ImportEntry:
    self_us: int
    cumulative_us: int
    depth: int
    name: str


def parse_importtime(stderr: str) -> list[ImportEntry]:
    entries = []
    for line in stderr.splitlines():
        match = LINE.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            depth = (len(indent) - 1) // 2
            entries.append(ImportEntry(int(self_us), int(cumulative_us), depth, name))
    return entries


def _importtime(statement: str, code_dir: str | None) -> list[ImportEntry]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("POWERTOOLS_")}
    env.update(LAMBDA_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / code_dir), str(LAYER_DIR)]) if code_dir else ""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd="/",  # nothing from the repo on sys.path but the code directory
    )
    return parse_importtime(completed.stderr)


def import_cost(entries: list[ImportEntry], startup: set[str]) -> tuple[int, list[ImportEntry]]:
    """(total µs, entries) of what the statement imported beyond interpreter startup."""
    own = [entry for entry in entries if entry.name not in startup]
    return sum(entry.cumulative_us for entry in own if entry.depth == 0), own


def by_package(entries: list[ImportEntry]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for entry in entries:
        totals[entry.name.split(".", 1)[0]] += entry.self_us
    return totals


def run(repetitions: int = 5) -> dict[str, Any]:
    startup = {entry.name for entry in _importtime("pass", None)}
    targets: dict[str, tuple[str, str | None]] = {BASELINE: (BASELINE, None)}
    targets.update(HANDLERS)
    samples: dict[str, list[int]] = {name: [] for name in targets}
    packages: dict[str, Counter[str]] = {name: Counter() for name in targets}
    for _ in range(repetitions):
        for name, (module, code_dir) in targets.items():
            total, own = import_cost(_importtime(f"import {module}", code_dir), startup)
            samples[name].append(total)
            packages[name].update(by_package(own))
    baseline_ms = median(samples[BASELINE]) / 1000
    rows = []
    for name, (module, _) in targets.items():
        ms = median(samples[name]) / 1000
        top = packages[name].most_common(5)
        rows.append(
            {
                "function": name,
                "module": module,
                "median_ms": ms,
                "ratio_to_boto3": ms / baseline_ms,
                "top_packages_ms": {package: total / repetitions / 1000 for package, total in top},
            }
        )
    return {"rows": rows, "repetitions": repetitions, "table": table(rows)}


def table(rows: list[dict[str, Any]]) -> str:
    return markdown_table(
        ["function", "import (median)", "/ import boto3", "largest packages (self time)"],
        [
            [
                row["function"],
                f"{row['median_ms']:.0f} ms",
                f"{row['ratio_to_boto3']:.2f}x",
                ", ".join(f"{name} {ms:.0f}" for name, ms in row["top_packages_ms"].items()),
            ]
            for row in rows
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="handler import time vs import boto3")
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    print(run(args.repetitions)["table"])


if __name__ == "__main__":
    main()

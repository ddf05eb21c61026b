"""`make bench`: the benchmark parts, their tables, bench/results/latest.json and the plot.

    .venv/bin/python -m bench.run_all [--quick] [--skip end_to_end ...]

Every number printed is a ratio against a baseline measured in the same run, plus the machine
it ran on; bench/README.md's Results section is this output. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import cold_start, end_to_end, idle, latency, package_size, record_processor
from bench.plot import record_processor_plot
from bench.processes import REPO

RESULTS = REPO / "bench" / "results" / "latest.json"
PLOT = REPO / "img" / "bench-record-processor.png"
PARTS = ("record_processor", "cold_start", "end_to_end", "package_size", "idle", "latency")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def describe(facts: dict[str, Any]) -> str:
    return f"{facts['cpus']} cores, Python {facts['python']}, {facts['platform']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", choices=PARTS, default=[])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repetitions = 1 if args.quick else 3
    facts = machine()
    results: dict[str, Any] = {"machine": facts, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    started = time.monotonic()
    parts: dict[str, Callable[[], dict[str, Any]]] = {
        "record_processor": lambda: record_processor.run(repetitions),
        "cold_start": lambda: cold_start.run(max(3, repetitions + 2)),
        "end_to_end": end_to_end.run,
        "package_size": package_size.run,
        "idle": lambda: idle.run(quick=args.quick),
        "latency": lambda: latency.run(quick=args.quick),
    }
    print(f"machine: {describe(facts)}; load average {facts['load_average']}", flush=True)
    for name, part in parts.items():
        if name in args.skip:
            continue
        part_started = time.monotonic()
        print(f"\n## {name.replace('_', ' ')}", flush=True)
        try:
            results[name] = part()
        except Exception as error:  # one part failing must not hide the others
            results[name] = {"error": repr(error)}
            print(f"FAILED: {error!r}", file=sys.stderr, flush=True)
            continue
        results[name]["seconds"] = time.monotonic() - part_started
        print(results[name]["table"])
        print(f"({results[name]['seconds']:.0f} s)", flush=True)
        if name == "record_processor":
            record_processor_plot(results[name]["rows"], describe(facts), PLOT)
            print(f"plot: {PLOT.relative_to(REPO)}")
    results["seconds"] = time.monotonic() - started
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nall parts in {results['seconds']:.0f} s; results: {RESULTS.relative_to(REPO)}")
    if any("error" in results.get(name, {}) for name in PARTS):
        sys.exit(1)


if __name__ == "__main__":
    main()

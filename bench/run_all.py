"""`make bench`: every benchmark part, its table, the ratios, results/latest.json and the plot.

    .venv/bin/python -m bench.run_all [--quick] [--skip end_to_end ...]

Each part is one function below, ``(repetitions) -> results`` with a markdown ``table`` and the
``ratios`` it is judged by (name, value, target, met); the run ends with every part's ratios in
one table. Every ratio is against a baseline or floor measured in the same run, plus the machine
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

from bench import (
    cold_start,
    end_to_end,
    idle,
    inbox_ab,
    latency,
    package_size,
    record_processor,
    sqs_pickup,
)
from bench.plot import record_processor_plot
from bench.processes import REPO
from bench.stats import markdown_table

RESULTS = REPO / "bench" / "results" / "latest.json"
PLOT = REPO / "img" / "bench-record-processor.png"


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def describe(facts: dict[str, Any]) -> str:
    return f"{facts['cpus']} cores, Python {facts['python']}, {facts['platform']}"


def record_processor_part(repetitions: int) -> dict[str, Any]:
    """Parts 1 and 2 of issue 16: the handler against a CPU-free stub DynamoDB."""
    result = record_processor.run(repetitions)
    result["ratios"] = record_processor.ratios(result)
    return result


def cold_start_part(repetitions: int) -> dict[str, Any]:
    return cold_start.run(max(3, repetitions + 2))


def end_to_end_part(repetitions: int) -> dict[str, Any]:
    """Part 4 of issue 16: 10,000 records through the local cloud."""
    result = end_to_end.run()
    result["ratios"] = end_to_end.ratios(result)
    return result


def package_size_part(repetitions: int) -> dict[str, Any]:
    return package_size.run()


def idle_part(repetitions: int) -> dict[str, Any]:
    """Issue 14 part 5: an idle cloud's CPU, wake-ups against fixed polling intervals."""
    result = idle.run(quick=repetitions == 1)
    result["ratios"] = idle.ratios(result)
    return result


def latency_part(repetitions: int) -> dict[str, Any]:
    """Issue 16 part 3: one record or message through the local cloud, batching window 0."""
    result = latency.run(quick=repetitions == 1)
    result["ratios"] = latency.ratios(result)
    return result


def sqs_pickup_part(repetitions: int) -> dict[str, Any]:
    """Issue 14 part 5's "without adding latency": an idle SQS mapping's long poll A/B."""
    result = sqs_pickup.run(quick=repetitions == 1)
    result["ratios"] = sqs_pickup.ratios(result)
    return result


def inbox_ab_part(repetitions: int) -> dict[str, Any]:
    """Issue 14 part 5's "without adding latency": the inbox path, baseline and wake-ups A/B."""
    result = inbox_ab.run(quick=repetitions == 1)
    result["ratios"] = inbox_ab.ratios(result)
    return result


PARTS: dict[str, Callable[[int], dict[str, Any]]] = {
    "record_processor": record_processor_part,
    "cold_start": cold_start_part,
    "end_to_end": end_to_end_part,
    "package_size": package_size_part,
    "idle": idle_part,
    "latency": latency_part,
    "sqs_pickup": sqs_pickup_part,
    "inbox_ab": inbox_ab_part,
}


def _met(met: bool | None) -> str:
    return "-" if met is None else "yes" if met else "**no**"


def ratios_table(results: dict[str, Any]) -> str:
    rows = [
        [f"{part.replace('_', ' ')}: {name}", value, target or "-", _met(met)]
        for part in PARTS
        for name, value, target, met in results.get(part, {}).get("ratios", [])
    ]
    return markdown_table(["ratio", "measured", "target", "met"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", choices=list(PARTS), default=[])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repetitions = 1 if args.quick else 3
    facts = machine()
    results: dict[str, Any] = {"machine": facts, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    started = time.monotonic()
    print(f"machine: {describe(facts)}; load average {facts['load_average']}", flush=True)
    for name, part in PARTS.items():
        if name in args.skip:
            continue
        part_started = time.monotonic()
        print(f"\n## {name.replace('_', ' ')}", flush=True)
        try:
            results[name] = part(repetitions)
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
    results["machine"]["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    print(f"\n## ratios\n{ratios_table(results)}")
    print(f"(load average at the end: {results['machine']['load_average_at_end']})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nall parts in {results['seconds']:.0f} s; results: {RESULTS.relative_to(REPO)}")
    if any("error" in results.get(name, {}) for name in PARTS):
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Part 6: one record, or one message, through an otherwise idle local cloud.

One local cloud per poller setting (bench.idle's), in this process, with the record
processor's batching window at 0 (the template's `RecordsBatchingWindowSeconds`, 1 s on AWS) so
what is left is the local cloud's own latency. Each record is put alone, after the previous
one came out and a random pause (the baseline's fixed interval must not be in phase with the
puts):

- put -> processed: Kinesis arrival to the record processor's `processed_ms`;
- put -> listener: to the listener's `captured_ms` (DynamoDB stream of the processed table);
- POST /inbox -> GET /outbox: one message, client send to client receipt.

p50 and p95 per setting, and the baseline's p50 over each setting's.
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench.idle import BASELINE, SETTINGS, WAKE_UPS_NAME
from bench.in_process_cloud import local_cloud
from bench.stats import markdown_table, percentile
from localcloud.esm.settings import PollerSettings
from stackclient.load import send_messages, send_records
from stackclient.stack import Stack

RECORDS = 30
MESSAGES = 15
QUICK = 3  # --quick: a third of the samples
WARMUP = 3
NO_BATCHING_WINDOW = ("RecordsBatchingWindowSeconds=0",)
PATHS = {
    "put_to_processed": "Kinesis put -> processed table",
    "put_to_listener": "Kinesis put -> listener table",
    "inbox_to_outbox": "POST /inbox -> GET /outbox",
}


def _pause(rng: random.Random) -> None:
    time.sleep(rng.uniform(0.05, 0.35))


def single_records(stack: Stack, count: int, rng: random.Random) -> dict[str, list[float]]:
    processed, listener = [], []
    for _ in range(count):
        result = send_records(stack, 1, timeout_s=60)
        processed.append(result.stages_ms["stream_to_processed"]["p50"])
        listener.append(result.p50_ms)
        _pause(rng)
    return {"put_to_processed": processed, "put_to_listener": listener}


def single_messages(stack: Stack, count: int, rng: random.Random) -> list[float]:
    latencies = []
    for _ in range(count):
        latencies.append(send_messages(stack, 1, timeout_s=60, concurrency=1).p50_ms)
        _pause(rng)
    return latencies


def measure(settings: PollerSettings, records: int, messages: int) -> dict[str, list[float]]:
    rng = random.Random(5)
    with local_cloud(settings, NO_BATCHING_WINDOW) as (_, stack):
        single_records(stack, WARMUP, rng)  # the workers' first invokes
        single_messages(stack, WARMUP, rng)
        samples = single_records(stack, records, rng)
        samples["inbox_to_outbox"] = single_messages(stack, messages, rng)
    return samples


def _ratio(baseline: float, value: float) -> str:
    if value <= baseline:
        return f"{baseline / value:.1f}x faster"
    return f"{value / baseline:.1f}x slower"


def run(quick: bool = False) -> dict[str, Any]:
    records, messages = (RECORDS // QUICK, MESSAGES // QUICK) if quick else (RECORDS, MESSAGES)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, settings in SETTINGS.items():
        samples = measure(settings, records, messages)
        results[name] = {
            path: {"p50": percentile(values, 50), "p95": percentile(values, 95)}
            for path, values in samples.items()
        }
        print(f"  {name}: {results[name]}", flush=True)
    rows = []
    for path, label in PATHS.items():
        baseline = results[BASELINE][path]["p50"]
        for name, paths in results.items():
            p50, p95 = paths[path]["p50"], paths[path]["p95"]
            ratio = "1.0x (baseline)" if name == BASELINE else _ratio(baseline, p50)
            rows.append([f"{label}, {name}", f"{p50:,.0f} ms", f"{p95:,.0f} ms", ratio])
    return {
        "records": records,
        "messages": messages,
        "latency_ms": results,
        "table": markdown_table(["single record / message", "p50", "p95", "p50 vs baseline"], rows),
    }


# Issue 16 part 3: p50 with the batching window at 0, wake-ups (the default) on.
P50_TARGETS_MS = {"put_to_processed": 100.0, "put_to_listener": 200.0}


def ratios(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    measured = result["latency_ms"][WAKE_UPS_NAME]
    baseline = result["latency_ms"][BASELINE]
    out: list[tuple[str, str, str, bool | None]] = []
    for path, label in PATHS.items():
        p50 = measured[path]["p50"]
        target = P50_TARGETS_MS.get(path)
        if target is not None:
            out.append((f"{label} p50 / {target:.0f} ms", f"{p50 / target:.2f}x ({p50:.0f} ms)",
                        "<= 1x", p50 <= target))  # fmt: skip
        out.append((f"{label} p50, fixed 0.25 s / wake-ups", _ratio(baseline[path]["p50"], p50),
                    "", None))  # fmt: skip
    return out


if __name__ == "__main__":
    print(run()["table"])

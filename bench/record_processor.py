"""Part 1: record-processor throughput against moto, on loopback and behind 10 ms of latency.

For batches of 1, 100, 1,000 and 10,000 records the handler
(`record_stream.handlers.process_records.lambda_handler`) and the floor (a minimal sequential
loop of raw BatchWriteItem calls, 25 items each) write the same item shape to the same moto
server, interleaved in one worker process (bench.record_processor_worker). The worker runs once
with AWS_ENDPOINT_URL on the moto server and once on bench.latency_proxy (10 ms per request).

Reported per batch size: records/s (median of the repetitions), DynamoDB requests per record
(the floor is 1/25), the handler-to-floor speedup, and moto's CPU use during the handler's runs
(close to 100 % of a core means the moto server, not the handler, is the ceiling).
Targets (issue 6): speedup >= 4 at 10,000 records under latency; handler >= floor / 1.2 on
loopback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import LAYER_DIR, REPO, Service, latency_proxy, moto_server
from bench.stats import markdown_table, median

SIZES = (1, 100, 1_000, 10_000)
# Invocations per measurement, so even the 1-record batch runs long enough to time reliably.
INVOCATIONS = {1: 60, 100: 12, 1_000: 3, 10_000: 1}
# Small batches are cheap and the noisiest (a shared machine's scheduling is a large share of a
# 5 ms call): give them more repetitions.
REPETITION_FACTOR = {1: 3, 100: 2, 1_000: 1, 10_000: 1}
LATENCY_MS = 10.0
TABLE = "bench-processed"
QUEUE = "bench-rejected"
BATCH_WRITE_TARGET = "DynamoDB_20120810.BatchWriteItem"
LATENCY_TARGET = 4.0  # handler >= 4x the sequential floor under simulated latency (10k records)
LOOPBACK_TOLERANCE = 1.2  # handler within 1.2x of the floor on loopback
LATENCY_MODE = f"latency {LATENCY_MS:.0f} ms"
NULL_MODE = f"latency {LATENCY_MS:.0f} ms, null DynamoDB (diagnostic)"

CLIENT_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_SESSION_TOKEN": "",
}


@dataclass(frozen=True)
class Row:
    mode: str
    size: int
    handler_rps: float
    floor_rps: float
    speedup: float  # median of the per-repetition ratios (each pair ran back to back)
    handler_requests_per_record: float
    floor_requests_per_record: float
    moto_cpu_share: float  # moto CPU seconds / wall seconds during the handler's runs
    moto_cpu_ms_per_request: float
    proxy_requests: int | None

    @property
    def ceiling_rps(self) -> float:
        """Records/s if the moto server ran its one GIL flat out and nothing else slowed it."""
        if self.moto_cpu_ms_per_request <= 0.05:  # the null-DynamoDB diagnostic
            return math.inf
        return 1000 / self.moto_cpu_ms_per_request / self.handler_requests_per_record

    @property
    def target(self) -> str:
        if self.mode == NULL_MODE:
            return "-"
        if self.mode == "loopback":
            return f">= {1 / LOOPBACK_TOLERANCE:.2f}"
        return f">= {LATENCY_TARGET:.0f}" if self.size == max(SIZES) else "-"

    @property
    def meets_target(self) -> bool | None:
        if self.mode == NULL_MODE:
            return None
        if self.mode == "loopback":
            return self.speedup >= 1 / LOOPBACK_TOLERANCE
        return self.speedup >= LATENCY_TARGET if self.size == max(SIZES) else None


def _create_resources(endpoint: str) -> str:
    import boto3  # noqa: PLC0415 - only the orchestrator needs it, and only here

    session = boto3.session.Session(
        aws_access_key_id=CLIENT_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CLIENT_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=CLIENT_ENV["AWS_DEFAULT_REGION"],
    )
    session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
    )
    queue_url: str = session.client("sqs", endpoint_url=endpoint).create_queue(QueueName=QUEUE)[
        "QueueUrl"
    ]
    return queue_url


def _run_worker(
    endpoint: str,
    queue_url: str,
    moto_pid: int,
    repetitions: int,
    concurrency: int,
    proxy: Service | None = None,
    sizes: tuple[int, ...] = SIZES,
) -> dict[str, Any]:
    env = {
        **os.environ,
        **CLIENT_ENV,
        "PYTHONPATH": os.pathsep.join(
            [str(REPO / "src" / "record_stream"), str(LAYER_DIR), str(REPO)]
        ),
        "AWS_ENDPOINT_URL": endpoint,
        "PROCESSED_TABLE_NAME": TABLE,
        "REJECTED_RECORDS_QUEUE_URL": queue_url,
        "WRITE_CONCURRENCY": str(concurrency),
        # As template.yaml sets them; tracing off as in the local cloud (no X-Ray daemon).
        "POWERTOOLS_SERVICE_NAME": "record-stream",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "POWERTOOLS_METRICS_NAMESPACE": "SamStreamsAndQueues",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "runs.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.record_processor_worker",
                "--sizes",
                ",".join(str(size) for size in sizes),
                "--invocations",
                ",".join(str(INVOCATIONS[size]) for size in sizes),
                "--repetitions",
                ",".join(str(repetitions * REPETITION_FACTOR[size]) for size in sizes),
                "--moto-pid",
                str(moto_pid),
                "--out",
                str(out),
                *(["--proxy-url", proxy.url, "--proxy-pid", str(proxy.pid)] if proxy else []),
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,  # the handler's logs and EMF metrics
            cwd=REPO,
        )
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def _rows(mode: str, worker: dict[str, Any]) -> list[Row]:
    rows = []
    for size in sorted({run["size"] for run in worker["runs"]}):
        runs = [run for run in worker["runs"] if run["size"] == size]

        def rps(variant: str, runs: list[dict[str, Any]] = runs) -> float:
            return median(
                [
                    run["size"] * run["invocations"] / run["seconds"]
                    for run in runs
                    if run["variant"] == variant
                ]
            )

        handler_runs = [run for run in runs if run["variant"] == "handler"]
        floor_runs = [run for run in runs if run["variant"] == "floor"]
        records = sum(run["size"] * run["invocations"] for run in handler_runs)
        floor_seconds = {run["repetition"]: run["seconds"] for run in floor_runs}
        rows.append(
            Row(
                mode=mode,
                size=size,
                handler_rps=rps("handler"),
                floor_rps=rps("floor"),
                speedup=median(
                    [floor_seconds[run["repetition"]] / run["seconds"] for run in handler_runs]
                ),
                handler_requests_per_record=sum(r["requests"] for r in handler_runs) / records,
                floor_requests_per_record=sum(r["requests"] for r in floor_runs) / records,
                moto_cpu_share=sum(r["moto_cpu_s"] for r in handler_runs)
                / sum(r["seconds"] for r in handler_runs),
                moto_cpu_ms_per_request=1000
                * sum(r["moto_cpu_s"] for r in handler_runs)
                / max(1, sum(r["requests"] for r in handler_runs)),
                proxy_requests=(worker["proxy_counts"] or {}).get(BATCH_WRITE_TARGET),
            )
        )
    return rows


def run(repetitions: int = 3, concurrency: int = 8, diagnostic: bool = True) -> dict[str, Any]:
    """Both modes against one moto server; returns rows and worker facts for latest.json.

    `diagnostic` adds the 10,000-record run against the null DynamoDB (the proxy answers
    BatchWriteItem itself): what the handler reaches when the server costs nothing.
    """
    started = time.monotonic()
    results: dict[str, Any] = {"rows": [], "workers": {}}
    with moto_server() as moto:
        queue_url = _create_resources(moto.url)
        loopback = _run_worker(moto.url, queue_url, moto.pid, repetitions, concurrency)
        results["workers"]["loopback"] = loopback
        rows = _rows("loopback", loopback)
        with latency_proxy(moto.url, LATENCY_MS) as proxy:
            delayed = _run_worker(proxy.url, queue_url, moto.pid, repetitions, concurrency, proxy)
        results["workers"][LATENCY_MODE] = delayed
        rows += _rows(LATENCY_MODE, delayed)
        # What the proxy saw must equal what the botocore hooks counted: the request counts
        # do not depend on the client's own bookkeeping.
        results["proxy_check"] = {
            "proxy": (delayed["proxy_counts"] or {}).get(BATCH_WRITE_TARGET, 0),
            "hooked": sum(run["requests"] for run in delayed["runs"]),
        }
        if diagnostic:
            with latency_proxy(moto.url, LATENCY_MS, answer_batch_writes=True) as proxy:
                null = _run_worker(
                    proxy.url, queue_url, moto.pid, 1, concurrency, proxy, sizes=(max(SIZES),)
                )
            results["workers"][NULL_MODE] = null
            rows += _rows(NULL_MODE, null)
    results["rows"] = [{**row.__dict__, "ceiling_rps": row.ceiling_rps} for row in rows]
    results["seconds"] = time.monotonic() - started
    results["table"] = table(rows)
    results["concurrency"] = concurrency
    return results


def table(rows: list[Row]) -> str:
    body = []
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row.meets_target]
        ceiling = row.ceiling_rps / row.floor_rps
        body.append(
            [
                row.mode,
                f"{row.size:,}",
                f"{row.handler_rps:,.0f}",
                f"{row.floor_rps:,.0f}",
                f"**{row.speedup:.2f}x**",
                f"{row.target} {met}".strip(),
                f"{row.handler_requests_per_record:.3f}",
                f"{math.ceil(row.size / 25) / row.size:.3f}",
                "-" if math.isinf(ceiling) else f"{row.moto_cpu_ms_per_request:.1f}",
                "-" if math.isinf(ceiling) else f"{ceiling:.2f}x",
            ]
        )
    return markdown_table(
        [
            "network",
            "batch",
            "handler rec/s",
            "floor rec/s",
            "handler / floor",
            "target",
            "DynamoDB req/record",
            "floor req/record",
            "moto CPU ms/req",
            "moto-bound ceiling / floor",
        ],
        body,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="record-processor throughput vs the floor")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="WRITE_CONCURRENCY")
    args = parser.parse_args()
    results = run(args.repetitions, args.concurrency)
    print(results["table"])
    print(json.dumps(results["proxy_check"]))
    for mode, worker in results["workers"].items():
        print(
            f"{mode}: handler import {worker['handler_import_s'] * 1000:.0f} ms, "
            f"first invoke {worker['first_invoke_s'] * 1000:.0f} ms, "
            f"second {worker['second_invoke_s'] * 1000:.1f} ms"
        )
    print(f"took {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()

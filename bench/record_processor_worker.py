"""One "Lambda container" of the record-processor benchmark: the handler and the floor, interleaved.

Started by bench.record_processor with the function's environment (AWS_ENDPOINT_URL pointing at
the moto server directly or through the latency proxy). In this process it:

1. imports the handler and invokes it once (the first invoke creates the boto3 clients);
2. for every repetition and batch size, runs the floor -- a minimal sequential loop of raw
   ``BatchWriteItem`` calls, 25 items each, same item shape -- and the handler on a Kinesis event
   of that size, alternating which goes first, so drift on a shared machine hits both;
3. counts the DynamoDB requests each issued (a botocore ``before-send`` hook, so retries count)
   and the CPU seconds of the moto server process during each run (to show when moto is the
   ceiling), and writes everything as JSON to ``--out``.

The handler's own logs and EMF metrics go to this process's stdout, which the caller discards.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MAX_ITEMS_PER_CALL = 25


@dataclass(frozen=True)
class LambdaContext:
    """The attributes Powertools' inject_lambda_context reads."""

    function_name: str = "bench-RecordProcessorFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:bench-RecordProcessorFunction"
    )
    memory_limit_in_mb: int = 256
    aws_request_id: str = "bench"
    log_group_name: str = "/aws/lambda/bench"
    log_stream_name: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class Run:
    variant: str  # "handler" or "floor"
    size: int
    repetition: int
    invocations: int
    seconds: float
    requests: int
    moto_cpu_s: float
    worker_cpu_s: float  # this process: the handler or the floor loop, all threads
    proxy_cpu_s: float


def _generator() -> Any:
    """events/record_stream/generate_events.py, the generator of the committed sample events."""
    spec = importlib.util.spec_from_file_location(
        "record_stream_events", REPO / "events" / "record_stream" / "generate_events.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("events/record_stream/generate_events.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux); 0 where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RequestCounter:
    """Counts BatchWriteItem HTTP requests a client sends (each retry is a request)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, **_: Any) -> None:
        self.count += 1

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send.dynamodb.BatchWriteItem", self)


def floor_items(size: int) -> list[dict[str, dict[str, str]]]:
    """Items of the handler's shape (processed_item_attributes) for the floor loop."""
    from record_stream.dal.item_attributes import processed_item_attributes  # noqa: PLC0415
    from record_stream.logic.processed_items import ProcessedItem  # noqa: PLC0415

    now_ms = time.time_ns() // 1_000_000
    return [
        processed_item_attributes(
            ProcessedItem(
                batch=f"floor-{size}",
                id=f"floor-{size}-{i:05d}",
                arrival_ms=now_ms,
                processed_ms=now_ms,
                shard_id="shardId-000000000000",
                sequence_number=str(49_659_875_422_166_290_462_016_548_113_780_838_446_532 + i),
            )
        )
        for i in range(size)
    ]


def floor_write(client: Any, table: str, items: list[dict[str, dict[str, str]]]) -> None:
    """The floor: one BatchWriteItem per 25 items, one after the other, resending leftovers."""
    for start in range(0, len(items), MAX_ITEMS_PER_CALL):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        while requests:
            response = client.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])


def measure(
    variant: str,
    size: int,
    repetition: int,
    invocations: int,
    call: Callable[[], None],
    counter: RequestCounter,
    moto_pid: int,
    proxy_pid: int | None,
) -> Run:
    before_requests = counter.count
    before_cpu = cpu_seconds(moto_pid)
    before_proxy_cpu = cpu_seconds(proxy_pid) if proxy_pid else 0.0
    before_own_cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(invocations):
        call()
    seconds = time.perf_counter() - started
    return Run(
        variant=variant,
        size=size,
        repetition=repetition,
        invocations=invocations,
        seconds=seconds,
        requests=counter.count - before_requests,
        moto_cpu_s=cpu_seconds(moto_pid) - before_cpu,
        worker_cpu_s=time.process_time() - before_own_cpu,
        proxy_cpu_s=(cpu_seconds(proxy_pid) - before_proxy_cpu) if proxy_pid else 0.0,
    )


def _proxy_control(proxy_url: str, action: str) -> dict[str, int]:
    method = "POST" if action == "reset" else "GET"
    request = urllib.request.Request(f"{proxy_url}/__latency_proxy__/{action}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        counts: dict[str, int] = json.loads(response.read())
        return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", required=True, help="comma-separated batch sizes")
    parser.add_argument("--invocations", required=True, help="comma-separated, one per size")
    parser.add_argument("--repetitions", required=True, help="comma-separated, one per size")
    parser.add_argument("--moto-pid", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--proxy-url", help="the latency proxy's URL, to cross-check the counts")
    parser.add_argument("--proxy-pid", type=int)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    invocations = dict(zip(sizes, (int(n) for n in args.invocations.split(",")), strict=True))
    repetitions = dict(zip(sizes, (int(n) for n in args.repetitions.split(",")), strict=True))

    started = time.perf_counter()
    from record_stream.dal.clients import dynamodb_client  # noqa: PLC0415
    from record_stream.handlers import process_records  # noqa: PLC0415
    from record_stream.settings import processor_settings  # noqa: PLC0415

    import_s = time.perf_counter() - started
    generator = _generator()
    events = {size: generator.valid_batch(size, f"handler-{size}") for size in sizes}
    context = LambdaContext()

    def invoke(size: int) -> None:
        response = process_records.lambda_handler(events[size], context)
        if response["batchItemFailures"]:
            raise RuntimeError(f"handler reported failures: {response}")

    started = time.perf_counter()
    invoke(sizes[0])
    first_invoke_s = time.perf_counter() - started
    started = time.perf_counter()
    invoke(sizes[0])
    second_invoke_s = time.perf_counter() - started

    import boto3  # noqa: PLC0415 - after the handler's first invoke, which imports it itself

    table = processor_settings().processed_table_name
    floor_client = boto3.client("dynamodb")
    handler_counter, floor_counter = RequestCounter(), RequestCounter()
    handler_counter.attach(dynamodb_client(processor_settings().write.concurrency))
    floor_counter.attach(floor_client)
    items = {size: floor_items(size) for size in sizes}

    runs: list[Run] = []
    for size in sizes:  # warm-up: connections, moto's first writes of these keys
        invoke(size)
        floor_write(floor_client, table, items[size])
    if args.proxy_url:
        _proxy_control(args.proxy_url, "reset")
    for repetition in range(max(repetitions.values())):
        for size in (size for size in sizes if repetition < repetitions[size]):
            variants: list[tuple[str, Callable[[], None], RequestCounter]] = [
                ("floor", partial(floor_write, floor_client, table, items[size]), floor_counter),
                ("handler", partial(invoke, size), handler_counter),
            ]
            if repetition % 2:
                variants.reverse()
            for variant, call, counter in variants:
                runs.append(
                    measure(
                        variant,
                        size,
                        repetition,
                        invocations[size],
                        call,
                        counter,
                        args.moto_pid,
                        args.proxy_pid,
                    )
                )

    Path(args.out).write_text(
        json.dumps(
            {
                "handler_import_s": import_s,
                "first_invoke_s": first_invoke_s,
                "second_invoke_s": second_invoke_s,
                "write_concurrency": processor_settings().write.concurrency,
                "runs": [asdict(run) for run in runs],
                "proxy_counts": _proxy_control(args.proxy_url, "stats") if args.proxy_url else None,
                "id": uuid.uuid4().hex,
            }
        )
    )


if __name__ == "__main__":
    main()

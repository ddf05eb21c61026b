"""One "Lambda container" of the record-processor benchmark: the handler and its two baselines.

Started by bench.record_processor with the function's environment, AWS_ENDPOINT_URL pointing at
bench.stub_dynamodb (a CPU-free DynamoDB answering after a fixed delay). In this process it:

1. imports the handler and invokes it once (the first invoke creates the boto3 clients);
2. for every repetition runs, on the same 10,000-record Kinesis event, alternating the order so
   drift on a shared machine hits all of them:
   - ``handler``: ``process_records.lambda_handler`` (concurrent BatchWriteItem);
   - ``raw_loop``: a minimal sequential loop of raw ``client.batch_write_item`` calls, 25 items
     each, the handler's item shape, items built beforehand (the least a boto3 client can do);
   - ``seed``: the seed's pattern -- decode each record, ``Table.batch_writer()`` of a boto3
     resource, sequential, 2-attribute items ``{PK, SK}``;
3. records wall time, this process's CPU time (``time.process_time``: all threads) and the
   requests and puts the stub counted for each run, and writes everything as JSON to ``--out``.

The handler's own logs and EMF metrics go to this process's stdout, which the caller discards.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from events.record_stream.generate_events import valid_batch
from tests.lambda_context import LambdaContext

MAX_ITEMS_PER_CALL = 25
VARIANTS = ("handler", "raw_loop", "seed")


@dataclass
class Run:
    variant: str
    repetition: int
    records: int
    seconds: float
    cpu_s: float  # this process, all threads
    requests: int  # BatchWriteItem requests the stub answered
    items: int  # puts in those requests


def stub_control(stub_url: str, action: str) -> dict[str, Any]:
    method = "POST" if action == "reset" else "GET"
    request = urllib.request.Request(f"{stub_url}/__stub__/{action}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        counts: dict[str, Any] = json.loads(response.read())
        return counts


def raw_loop_items(event: dict[str, Any]) -> list[dict[str, dict[str, str]]]:
    """The handler's item shape (processed_item_attributes) for the raw loop, built beforehand."""
    from record_stream.dal.item_attributes import processed_item_attributes  # noqa: PLC0415
    from record_stream.logic.processed_items import ProcessedItem  # noqa: PLC0415

    items = []
    for record in event["Records"]:
        data = json.loads(base64.b64decode(record["kinesis"]["data"]))
        arrival_ms = int(record["kinesis"]["approximateArrivalTimestamp"] * 1000)
        items.append(
            processed_item_attributes(
                ProcessedItem(
                    batch=data["batch"],
                    id=data["id"],
                    arrival_ms=arrival_ms,
                    processed_ms=arrival_ms,
                    shard_id="shardId-000000000000",
                    sequence_number=record["kinesis"]["sequenceNumber"],
                )
            )
        )
    return items


def raw_loop(client: Any, table: str, items: list[dict[str, dict[str, str]]]) -> None:
    """One BatchWriteItem per 25 items, one after the other, resending leftovers."""
    for start in range(0, len(items), MAX_ITEMS_PER_CALL):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        while requests:
            response = client.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])


def seed_pattern(table: Any, event: dict[str, Any]) -> None:
    """The seed's handler: decode each record, put {PK, SK} through the resource's batch_writer."""
    with table.batch_writer() as writer:
        for record in event["Records"]:
            data = json.loads(base64.b64decode(record["kinesis"]["data"]))
            writer.put_item(Item={"PK": data["batch"], "SK": data["id"]})


def measure(
    variant: str, repetition: int, records: int, call: Callable[[], None], stub_url: str
) -> Run:
    stub_control(stub_url, "reset")
    cpu_before = time.process_time()
    started = time.perf_counter()
    call()
    seconds = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_before
    counts = stub_control(stub_url, "stats")
    return Run(
        variant=variant,
        repetition=repetition,
        records=records,
        seconds=seconds,
        cpu_s=cpu_s,
        requests=counts["requests"].get("DynamoDB_20120810.BatchWriteItem", 0),
        items=counts["items"],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--stub-url", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", help="write a cProfile of the handler's runs here")
    args = parser.parse_args()
    variants = args.variants.split(",")

    started = time.perf_counter()
    from record_stream.handlers import process_records  # noqa: PLC0415
    from record_stream.settings import processor_settings  # noqa: PLC0415

    import_s = time.perf_counter() - started
    event = valid_batch(args.records, "bench")
    context = LambdaContext()

    def invoke() -> None:
        response = process_records.lambda_handler(event, context)
        if response["batchItemFailures"]:
            raise RuntimeError(f"handler reported failures: {response}")

    invoke()  # first invoke: clients, connections

    import boto3  # noqa: PLC0415 - after the handler's first invoke, which imports it itself

    table_name = processor_settings().processed_table_name
    client = boto3.client("dynamodb")
    table = boto3.resource("dynamodb").Table(table_name)
    items = raw_loop_items(event)
    calls: dict[str, Callable[[], None]] = {
        "handler": invoke,
        "raw_loop": lambda: raw_loop(client, table_name, items),
        "seed": lambda: seed_pattern(table, event),
    }
    for variant in variants:  # warm-up: connections, first-call caches
        if variant != "handler":
            calls[variant]()

    profiler = ThreadProfiles() if args.profile else None
    runs: list[Run] = []
    for repetition in range(args.repetitions):
        order = variants if repetition % 2 == 0 else variants[::-1]
        for variant in order:
            call = calls[variant]
            if profiler is not None and variant == "handler":
                call = profiler.wrap(call)
            runs.append(measure(variant, repetition, args.records, call, args.stub_url))
    if profiler is not None:
        profiler.dump(args.profile)

    Path(args.out).write_text(
        json.dumps(
            {
                "handler_import_s": import_s,
                "write_concurrency": processor_settings().write.concurrency,
                "pid": os.getpid(),
                "runs": [asdict(run) for run in runs],
            }
        )
    )


class ThreadProfiles:
    """cProfile of the handler's runs. Since Python 3.12 cProfile uses sys.monitoring, which
    sees every thread, so one profile covers the writer's threads too."""

    def __init__(self) -> None:
        import cProfile  # noqa: PLC0415

        self._profile = cProfile.Profile()

    def wrap(self, call: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            self._profile.enable()
            try:
                call()
            finally:
                self._profile.disable()

        return run

    def dump(self, path: str) -> None:
        self._profile.dump_stats(path)


if __name__ == "__main__":
    main()

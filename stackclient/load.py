"""Drive load through a deployed stack and measure it: the engine of the demo and the benchmarks.

Latency of a record is listener ``captured_ms - arrival_ms`` (Kinesis arrival to the listener's
copy); of an inbox message, client send to client receipt through GET /outbox.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import boto3

from stackclient.http import SignedApi, api_base_url
from stackclient.outbox import OutboxReader
from stackclient.stack import Stack
from stackclient.streams import BATCH_GET_MAX_KEYS, batch_get_items, percentile, put_records

POLL_INTERVAL_S = 0.25
OUTBOX_READERS = 2  # concurrent GET /outbox loops; each read is one or two CheckOutputQueue invokes
Progress = Callable[[int], None]  # called with how many more units completed


def _noop(_: int) -> None:
    return None


@dataclass(frozen=True)
class LoadResult:
    kind: str
    sent: int
    received: int
    duplicates: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    stages_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per stage of the path, p50 and p99 (records: stream -> processed -> listener)."""

    @property
    def per_second(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_second": round(self.per_second, 1)}

    def summary(self) -> str:
        lost = self.sent - self.received
        return (
            f"{self.kind}: {self.sent} sent, {self.received} received, {lost} lost, "
            f"{self.duplicates} duplicated in {self.seconds:.1f}s ({self.per_second:.0f}/s); "
            f"latency p50 {self.p50_ms:.0f} ms, p90 {self.p90_ms:.0f} ms, p99 {self.p99_ms:.0f} ms"
        )


def _latency_result(
    kind: str, sent: int, latencies: list[float], ids: list[str], seconds: float
) -> LoadResult:
    values = latencies or [0.0]
    return LoadResult(
        kind=kind,
        sent=sent,
        received=len(set(ids)),
        duplicates=len(ids) - len(set(ids)),
        seconds=seconds,
        p50_ms=percentile(values, 50),
        p90_ms=percentile(values, 90),
        p99_ms=percentile(values, 99),
    )


def send_records(
    stack: Stack,
    count: int,
    *,
    padding: int = 0,
    timeout_s: float = 300.0,
    on_sent: Progress = _noop,
    on_captured: Progress = _noop,
) -> LoadResult:
    """Put ``count`` records of one fresh batch and wait until the listener captured them all."""
    session = boto3.session.Session(region_name=stack.region)
    kinesis = session.client("kinesis")
    dynamodb = session.resource("dynamodb")
    listener_table = stack.output("ListenerTableName")
    batch = f"load-{uuid.uuid4().hex[:12]}"
    pad = {"padding": "p" * padding} if padding else {}
    ids = [f"{i:07d}" for i in range(count)]
    records = [
        (json.dumps({"batch": batch, "id": item_id, **pad}).encode(), f"{batch}-{i}")
        for i, item_id in enumerate(ids)
    ]
    started = time.monotonic()
    for start in range(0, count, 500):
        chunk = records[start : start + 500]
        put_records(kinesis, stack.output("RecordsStreamName"), chunk)
        on_sent(len(chunk))

    items = wait_for_captured(
        dynamodb, listener_table, batch, ids, deadline=started + timeout_s, on_captured=on_captured
    )
    elapsed = time.monotonic() - started
    latencies = [float(item["captured_ms"] - item["arrival_ms"]) for item in items]
    result = _latency_result("records", count, latencies, [str(i["id"]) for i in items], elapsed)
    stages = {
        "stream_to_processed": [
            float(i["processed_ms"] - i["arrival_ms"]) for i in items if "processed_ms" in i
        ],
        "processed_to_listener": [
            float(i["captured_ms"] - i["processed_ms"]) for i in items if "processed_ms" in i
        ],
    }
    return replace(
        result,
        stages_ms={
            name: {"p50": percentile(values, 50), "p99": percentile(values, 99)}
            for name, values in stages.items()
            if values
        },
    )


def wait_for_captured(
    dynamodb: Any,
    table_name: str,
    batch: str,
    ids: Sequence[str],
    *,
    deadline: float,
    on_captured: Progress = _noop,
) -> list[dict[str, Any]]:
    """Read items ``{PK: batch, SK: id}`` back by key until all of ``ids`` are there or the
    deadline passes; the items found, each read once.

    Each poll asks for the keys not found yet, in ``ids``' order, 100 at a time, and stops at
    the first hundred of which none has arrived: records are processed in order within a shard,
    so keys past such a gap are unlikely to be there yet. A poll therefore reads what arrived
    since the last one plus about one request of misses, where a Query rereads every item
    captured so far (on the local cloud, moto's CPU, shared with the pipeline being measured).
    At the deadline every key still missing is asked once, so the count is exact either way.
    """
    found: dict[str, dict[str, Any]] = {}
    pending = list(ids)

    def read(keys: Sequence[str]) -> int:
        items = batch_get_items(dynamodb, table_name, [(batch, key) for key in keys])
        for item in items:
            found[str(item["SK"])] = item
        return len(items)

    while pending and time.monotonic() < deadline:
        polled_at = time.monotonic()
        before = len(found)
        for start in range(0, len(pending), BATCH_GET_MAX_KEYS):
            if not read(pending[start : start + BATCH_GET_MAX_KEYS]):
                break
        if len(found) > before:
            on_captured(len(found) - before)
            pending = [key for key in pending if key not in found]
        if not pending:
            break
        # Never let polling take more than a third of the server it is measuring.
        time.sleep(max(POLL_INTERVAL_S, 2 * (time.monotonic() - polled_at)))
    if pending:
        before = len(found)
        read(pending)
        on_captured(len(found) - before)
    return list(found.values())


def send_messages(
    stack: Stack,
    count: int,
    *,
    timeout_s: float = 300.0,
    concurrency: int = 8,
    on_sent: Progress = _noop,
    on_received: Progress = _noop,
) -> LoadResult:
    """POST ``count`` messages to /inbox and read GET /outbox until every one came back."""
    api = SignedApi(api_base_url(stack.output("InboxOutboxApiUrl")), stack.region)
    run = uuid.uuid4().hex[:12]
    sent_at: dict[str, float] = {}

    def post(index: int) -> None:
        message_id = f"load-{run}-{index}"
        sent_at[message_id] = time.monotonic()
        response = api.request(
            "POST", "/inbox", json_body={"id": message_id, "message": f"load {index}"}
        )
        if response.status_code != 200:
            raise RuntimeError(f"POST /inbox -> {response.status_code}: {response.text}")
        on_sent(1)

    received_at: dict[str, float] = {}
    received_ids: list[str] = []
    lock = threading.Lock()
    give_up = threading.Event()  # a POST failed: stop reading

    def read_outbox(deadline: float) -> None:
        # Ours = this run's ids; anyone else's messages are released at once, never taken.
        reader = OutboxReader(api, lambda m: m.get("id") in sent_at)
        while time.monotonic() < deadline and not give_up.is_set():
            with lock:
                if len(received_at) >= count:
                    return
            page = reader.read()
            now = time.monotonic()
            fresh = [m["id"] for m in page.ours + page.duplicates]
            with lock:
                for message_id in fresh:
                    received_ids.append(message_id)
                    received_at.setdefault(message_id, now)
            on_received(len(page.ours))
            if not fresh and not page.more:
                time.sleep(0.2)

    started = time.monotonic()
    # Readers run while messages are still being posted: a message's latency is its own trip,
    # not its trip plus the time it takes to post all the others.
    with ThreadPoolExecutor(max_workers=concurrency + OUTBOX_READERS) as pool:
        readers = [pool.submit(read_outbox, started + timeout_s) for _ in range(OUTBOX_READERS)]
        try:
            list(pool.map(post, range(count)))
        except BaseException:
            give_up.set()
            raise
        for reader in readers:
            reader.result()
    elapsed = time.monotonic() - started
    latencies = [(received_at[i] - sent_at[i]) * 1000 for i in received_at]
    return _latency_result("messages", count, latencies, received_ids, elapsed)

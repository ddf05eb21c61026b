"""In-process moto answers one call at a time (``tests/unit/moto_serial.py`` says why).

Concurrent first puts of a partition key lose items in moto only when a thread switch lands
inside a few bytecodes, which a loaded machine finds now and then (one CI run in several) and a
test cannot provoke cheaply. So this checks the guarantee that rules out that race and its kin:
moto's model code never runs in two threads at once. A put that lingers makes any overlap
certain; before the lock, 8 threads overlapped in every run.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from moto.dynamodb.models.table import Table

from tests.unit.record_stream.moto_resources import PROCESSED_TABLE, RecordStreamAws

THREADS = 8


def test_moto_model_code_never_runs_in_two_threads(
    aws: RecordStreamAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_flight = 0
    most_in_flight = 0
    count_lock = threading.Lock()
    put_item = Table.put_item

    def lingering_put(self: Table, *args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, most_in_flight
        with count_lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        try:
            time.sleep(0.005)  # lets every other thread run while this put is inside moto
            return put_item(self, *args, **kwargs)
        finally:
            with count_lock:
                in_flight -= 1

    monkeypatch.setattr(Table, "put_item", lingering_put)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def write(thread: int) -> None:
        try:
            start.wait()
            aws.dynamodb.batch_write_item(
                RequestItems={
                    PROCESSED_TABLE: [
                        {"PutRequest": {"Item": {"PK": {"S": "new"}, "SK": {"S": f"{thread}-{i}"}}}}
                        for i in range(3)
                    ]
                }
            )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert most_in_flight == 1
    assert len(aws.items()) == THREADS * 3

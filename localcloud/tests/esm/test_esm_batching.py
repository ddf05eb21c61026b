"""BatchBuilder: batch size, batching window and the 6 MB payload cap."""

from __future__ import annotations

from localcloud.esm.batching import BatchBuilder


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ready_when_full_by_count() -> None:
    batch: BatchBuilder[int] = BatchBuilder(3, 10, clock=Clock())
    for item in range(2):
        batch.add(item, 10)
    assert not batch.ready()
    batch.add(2, 10)
    assert batch.ready()
    assert batch.take() == [[0, 1, 2]]
    assert len(batch) == 0


def test_window_starts_with_the_first_record() -> None:
    clock = Clock()
    batch: BatchBuilder[int] = BatchBuilder(100, 2, clock=clock)
    clock.now += 50  # idle time before the first record does not count
    batch.add(1, 10)
    clock.now += 1.9
    assert not batch.ready()
    clock.now += 0.2
    assert batch.ready()


def test_zero_window_is_ready_as_soon_as_there_is_a_record() -> None:
    batch: BatchBuilder[int] = BatchBuilder(100, 0, clock=Clock())
    assert not batch.ready()
    batch.add(1, 10)
    assert batch.ready()


def test_payload_cap_splits_into_ordered_invokes() -> None:
    batch: BatchBuilder[int] = BatchBuilder(100, 60, max_payload_bytes=1_000, clock=Clock())
    for item in range(5):
        batch.add(item, 300)
    assert batch.ready()  # over the cap before the window or the count
    assert batch.take() == [[0, 1, 2], [3, 4]]

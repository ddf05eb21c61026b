"""A Kinesis shard's first and last sequence numbers read from the ends of its records, not a copy.

Why: moto 5.2.5's ``Shard.get_max_sequence_number`` is ``list(self.records.keys())[-1]``, and
``put_record`` calls it for every record it stores: each put copies every key the shard holds,
so a stream's puts cost O(n²) over its life. In the issue 16 profile (10,000 records after a
warm-up, bench/README.md) PutRecords was a tenth of the local cloud's CPU, most of it these
copies, and it grows with every record a running cloud keeps. The shard's records are an
insertion-ordered dict, so its first and last keys are ``next(iter(...))`` and
``next(reversed(...))``: the same numbers in O(1).

Safe without a lock of its own because moto's requests of one service run one at a time
(``serial.py``).
"""

from __future__ import annotations

from moto.kinesis.models import Shard

# moto's own, for comparison (tests/test_kinesis_shards.py).
moto_min_sequence_number = Shard.get_min_sequence_number
moto_max_sequence_number = Shard.get_max_sequence_number


def _min_sequence_number(self: Shard) -> int:
    return next(iter(self.records)) if self.records else 0


def _max_sequence_number(self: Shard) -> int:
    return next(reversed(self.records)) if self.records else 0


def install_shard_sequence_ends() -> None:
    """Idempotent: patch moto's Kinesis ``Shard`` once per process."""
    Shard.get_min_sequence_number = _min_sequence_number  # type: ignore[method-assign]
    Shard.get_max_sequence_number = _max_sequence_number  # type: ignore[method-assign]

"""In-process moto (``mock_aws``) answers one call at a time, as the local cloud's server does.

moto's models read-modify-write shared state without locks (``localcloud/moto_internals/serial.py``
lists the races found in its server). The record processor's writer sends chunks from several
threads, so the unit tests meet one more: a DynamoDB table keeps its items in
``defaultdict(dict)`` keyed by ``DynamoType``, whose ``__hash__`` is Python code, so two threads
putting the first items of a new partition key can each create that key's inner dict, and the later
one replaces the other with what was written into it (50 of 600 items lost in one CI run of
``test_one_pool_of_threads_serves_every_write``). DynamoDB itself is concurrent and consistent.

The lock is held around moto's answer only: hooks registered before moto's on ``before-send``
(the tests' latency and fault injection) still run concurrently, so concurrency bounds stay
observable. A long-polling ``ReceiveMessage`` would hold it while it waits; no unit test long-polls
from one thread while another calls moto.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber

_lock = threading.RLock()  # re-entrant: a moto answer that calls into moto again must not deadlock


def serialise_moto() -> None:
    """Make every in-process moto answer hold one lock (idempotent)."""
    process_request = BotocoreStubber.process_request
    if getattr(process_request, "serialised", False):
        return

    @functools.wraps(process_request)
    def serialised(self: BotocoreStubber, request: Any) -> Any:
        with _lock:
            return process_request(self, request)

    serialised.serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = serialised  # type: ignore[method-assign]

"""One moto request at a time per service: moto's backends are not safe under concurrency.

The local cloud's server answers each request in its own thread (the record processor alone
writes 8 batches at once), but moto's models read-modify-write shared state without locks. Found
in moto 5.2.5 (the pinned version) and measured in ``localcloud/tests/test_moto_concurrency.py``:

- DynamoDB: ``StreamShard.add`` numbers a stream record ``len(items)`` before appending it, so two
  concurrent writes can share a sequence number. A GetRecords page ending on the second one
  returns an iterator that points back at it: the reader gets that record again, forever (the
  listener's poller re-delivered it, and a test reading the stream spun for 40 minutes in CI).
- Kinesis: ``Shard.put_record`` ("not safe for concurrency", says moto) takes the last sequence
  number plus one, so concurrent puts to a shard overwrite each other: about 1% of records lost.
- SQS: ``DeleteMessage`` rebuilds the queue's message list while ``SendMessage`` appends to it,
  which can drop the new message.

Real AWS services are concurrent and consistent; moto is neither, and its CPU work runs under the
GIL anyway, so serialising its requests costs little throughput and removes every such race at
once rather than one patched method at a time. There is one lock per service, named by the SigV4
credential scope (unsigned requests share one more): a test's 5,000-item DynamoDB query must not
hold up Kinesis or SQS, and the services' models do not share mutable state. DynamoDB Streams
signs as ``dynamodb``, so it shares DynamoDB's lock with the writes that append to its shards.
The one request that waits, a long-polling ``ReceiveMessage``, releases its lock while it waits
(``Queue.wait_for_messages``), so it never holds up other calls.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Iterator

from moto.sqs.models import Queue

from localcloud.wsgi import Environ, StartResponse, WsgiApp

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/(?P<service>[^/]+)/aws4_request")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_holder = threading.local()
# Requests that may have changed moto's state, for a saver that skips unchanged snapshots.
# ReceiveMessage counts as a read: an idle SQS poller repeats it, and what it changes (receive
# count, visibility) matters little next to the DeleteMessage that follows a processed message.
_changes = 0
_READ_PREFIXES = ("Get", "List", "Describe", "Scan", "Query", "BatchGet", "Receive")


def signing_service(environ: Environ) -> str | None:
    """The service a SigV4-signed request is for (its credential scope), or None."""
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return scope["service"] if scope else None


def _lock_for(service: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(service, threading.Lock())


def service_lock(service: str) -> threading.Lock:
    """The lock requests signed for `service` run under; code in this process that reads moto's
    models directly (``dynamodb_streams``) takes it too."""
    return _lock_for(service)


def _held_here() -> threading.Lock | None:
    lock: threading.Lock | None = getattr(_holder, "lock", None)
    return lock


class SerializedMoto:
    """WSGI middleware: runs ``app`` (moto) for one request at a time, body included."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        install_long_poll_release()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        lock = _lock_for(signing_service(environ) or "")
        with lock:
            _holder.lock = lock
            if _may_change(environ):
                global _changes  # noqa: PLW0603 - one counter per process, as moto's state is
                _changes += 1
            try:
                result = self.app(environ, start_response)
                try:
                    # moto builds its answer eagerly; reading it here keeps any lazy part inside.
                    return [b"".join(result)]
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            finally:
                _holder.lock = None


def _may_change(environ: Environ) -> bool:
    """False for the reads a poller repeats (GET, and JSON-protocol Get*/List*/Describe*...)."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        return False
    operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
    return not operation.startswith(_READ_PREFIXES)


def changes() -> int:
    """How many requests so far may have changed moto's state (a generation number)."""
    return _changes


@contextlib.contextmanager
def all_services_paused() -> Iterator[None]:
    """Holds every service's lock: no request changes moto meanwhile (for a snapshot).

    A long poll waiting for messages holds no lock and takes it back only after this ends. The
    guard of the lock table is held too, so a request for a service not seen before waits as
    well (no request thread takes the guard while holding a service's lock: no deadlock).
    """
    with _locks_guard, contextlib.ExitStack() as held:
        for name in sorted(_locks):
            held.enter_context(_locks[name])
        yield


_original_wait_for_messages = Queue.wait_for_messages


def _wait_for_messages_unlocked(self: Queue, timeout: int) -> None:
    """moto's wait, with the request's lock released so senders can reach the queue."""
    lock = _held_here()
    if lock is None:
        _original_wait_for_messages(self, timeout)
        return
    _holder.lock = None
    lock.release()
    try:
        _original_wait_for_messages(self, timeout)
    finally:
        lock.acquire()
        _holder.lock = lock


def install_long_poll_release() -> None:
    """Idempotent: patch moto's SQS long-poll wait once per process."""
    Queue.wait_for_messages = _wait_for_messages_unlocked  # type: ignore[method-assign]

"""Read the shared outbox as one consumer among others: take only your own messages.

GET /outbox leases what it returns; only POST /outbox/acks deletes. A reader acknowledges the
messages it owns (after recording them) and releases everyone else's at once
(POST /outbox/releases), so it can never take a message that is not its own, and the owner sees
a released message on its next read. Delivery is at-least-once: a message whose ack never
arrived comes back after its lease, so consumers deduplicate on `messageId` (the one POST /inbox
answered), as `OutboxReader` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stackclient.http import SignedApi

Message = dict[str, Any]

# Long enough for a test or the load tool to record a page and acknowledge it; short enough that
# a message whose release failed is back soon.
DEFAULT_LEASE_S = 30


class OutboxError(RuntimeError):
    """An outbox route answered something other than a 200."""


@dataclass
class Page:
    """One read, settled: our new messages (acknowledged), how many were someone else's."""

    ours: list[Message] = field(default_factory=list)
    duplicates: list[Message] = field(default_factory=list)  # ours, already seen: redelivered
    released: int = 0
    more: bool = False


def _checked(response: Any, what: str) -> Any:
    if response.status_code != 200:
        raise OutboxError(f"{what} -> {response.status_code}: {response.text}")
    return response.json()


class OutboxReader:
    """Reads GET /outbox, keeps the messages ``is_ours`` accepts, hands back the rest."""

    def __init__(
        self,
        api: SignedApi,
        is_ours: Callable[[Message], bool],
        *,
        lease_s: int = DEFAULT_LEASE_S,
        max_messages: int = 10,
    ) -> None:
        self.api = api
        self.is_ours = is_ours
        self.lease_s = lease_s
        self.max_messages = max_messages
        self.seen: dict[str, Message] = {}  # messageId -> message, every one of ours read so far

    def read(self) -> Page:
        """One GET /outbox, then acknowledge ours and release the others."""
        response = self.api.request(
            "GET", "/outbox", params={"lease": str(self.lease_s), "max": str(self.max_messages)}
        )
        body = _checked(response, "GET /outbox")
        page = self.settle(body["messages"])
        page.more = bool(body["more"])
        return page

    def settle(self, messages: list[Message]) -> Page:
        """Acknowledge our messages (recorded first: an ack that fails only means a redelivery)
        and release the others; used for pages read by anyone, e.g. a fuzzer's own GETs."""
        page = Page()
        ours: list[str] = []
        others: list[str] = []
        for message in messages:
            if not self.is_ours(message):
                others.append(message["receipt"])
                continue
            ours.append(message["receipt"])
            if message["messageId"] in self.seen:
                page.duplicates.append(message)
            else:
                self.seen[message["messageId"]] = message
                page.ours.append(message)
        if ours:
            result = _checked(self._post("/outbox/acks", ours), "POST /outbox/acks")
            if result["failed"]:
                raise OutboxError(f"acknowledgements refused: {result['failed']}")
        if others:
            # If this fails the lease ends by itself: the owner waits, nothing is lost.
            self._post("/outbox/releases", others)
        page.released = len(others)
        return page

    def _post(self, path: str, receipts: list[str]) -> Any:
        return self.api.request("POST", path, json_body={"receipts": receipts})

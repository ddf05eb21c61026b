"""Keep a GET /outbox response under Lambda's 6 MB limit by counting serialised bytes.

Lambda refuses a synchronous response over 6 MB (its limit is 6,291,556 bytes of the JSON the
runtime serialises), and API Gateway then answers 502: the messages were leased and the caller
never saw them. The size that counts is the proxy result's JSON, in which the page body is a
string, escaped a second time. The page body is serialised with `ensure_ascii` (pure ASCII), so
each character of it costs the same whether the runtime escapes non-ASCII or not, and the cost of
the whole is the sum of its parts: an astral character such as an emoji is 12 bytes in the body
(`\\ud83d\\ude00`) and 14 in the proxy result, so one 65,536-emoji message costs 917,504 bytes and
seven of them (6.4 MB) do not fit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inbox_outbox.models import OutboxItem, OutboxPage

# Under both readings of "6 MB" (10**6 or 2**20 based) with room to spare.
RESPONSE_BUDGET_BYTES = 6_000_000
# What surrounds the items in the proxy result: statusCode, headers, multiValueHeaders,
# isBase64Encoded and the page's own keys (`count`, `more`). Measured at under 400 bytes; the
# unit tests check that a full response stays within the budget.
ENVELOPE_ALLOWANCE_BYTES = 4096


def serialise(value: Any) -> str:
    """The one JSON serialisation of outbox bodies: compact, ASCII only (see the module doc)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


def serialise_page(page: OutboxPage) -> str:
    return serialise(page.model_dump(mode="json"))


def cost_in_response(item: OutboxItem) -> int:
    """Bytes an item adds to the serialised proxy result: its JSON escaped again, plus a comma."""
    escaped = json.dumps(serialise(item.model_dump(mode="json")))
    return len(escaped) - 2 + 1  # without the quotes of the string, with the separating comma


@dataclass(frozen=True, slots=True)
class Selection:
    """The items that go into a page, in order, and the leased ones that do not."""

    returned: list[OutboxItem]
    left_out: list[OutboxItem]  # fit alone, not with the others: release them for the next read
    oversized: list[OutboxItem]  # cannot fit in any response, even alone


def select_within_budget(
    items: Sequence[OutboxItem], budget_bytes: int = RESPONSE_BUDGET_BYTES
) -> Selection:
    """Take items in order while the response stays within the budget; stop at the first that
    does not fit (the rest keep their order for the next read)."""
    room = budget_bytes - ENVELOPE_ALLOWANCE_BYTES
    returned: list[OutboxItem] = []
    left_out: list[OutboxItem] = []
    oversized: list[OutboxItem] = []
    for item in items:
        cost = cost_in_response(item)
        if cost > budget_bytes - ENVELOPE_ALLOWANCE_BYTES:
            oversized.append(item)
        elif left_out or cost > room:
            left_out.append(item)
        else:
            returned.append(item)
            room -= cost
    return Selection(returned=returned, left_out=left_out, oversized=oversized)


def outbox_page(selection: Selection) -> OutboxPage:
    return OutboxPage(
        messages=selection.returned, count=len(selection.returned), more=bool(selection.left_out)
    )

"""The GET /outbox size cap, pure: what each item costs in the serialised proxy result."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from inbox_outbox.logic.outbox_items import to_outbox_item
from inbox_outbox.logic.response_budget import (
    ENVELOPE_ALLOWANCE_BYTES,
    RESPONSE_BUDGET_BYTES,
    Selection,
    cost_in_response,
    outbox_page,
    select_within_budget,
    serialise_page,
)
from inbox_outbox.models import OutboxItem

EMOJI = "\N{GRINNING FACE}"


def item(index: int, message: str) -> OutboxItem:
    body = json.dumps(
        {
            "id": f"id-{index}",
            "message": message,
            "type": None,
            "received_at": "2026-01-01T00:00:00Z",
            "inbox_message_id": f"in-{index}",
        }
    )
    return to_outbox_item(f"q-{index}", f"receipt-{index}", body)


def proxy_result_bytes(selection: Selection) -> int:
    """Bytes of the proxy result the Lambda runtime serialises, built by Powertools' own builder."""
    body = serialise_page(outbox_page(selection))
    response = Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body)
    event = APIGatewayProxyEvent({"httpMethod": "GET", "path": "/outbox", "headers": {}})
    result = ResponseBuilder(response).build(event)
    # Either runtime setting gives the same bytes: the body is ASCII.
    assert len(json.dumps(result, ensure_ascii=False).encode()) == len(json.dumps(result))
    return len(json.dumps(result).encode())


@pytest.mark.parametrize(
    "messages",
    [
        ["plain ascii"],
        [EMOJI * 65_536],
        ['\x01\x1f"\\/' * 1000, "é" * 5000, "\u2028\ud7ff" * 300],
        [f"message {i} ✓" for i in range(10)],
    ],
    ids=["ascii", "emoji", "escapes", "ten"],
)
def test_costs_add_up_to_the_real_response_size(messages: list[str]) -> None:
    items = [item(i, m) for i, m in enumerate(messages)]
    selection = Selection(returned=items, left_out=[], oversized=[])
    empty = proxy_result_bytes(Selection(returned=[], left_out=[], oversized=[]))

    exact = proxy_result_bytes(selection)

    # The last item has no comma after it; `count` has more digits than the empty page's 0.
    extra_digits = len(str(len(items))) - 1
    assert exact == empty + sum(cost_in_response(i) for i in items) - 1 + extra_digits
    assert empty < ENVELOPE_ALLOWANCE_BYTES


def test_an_emoji_costs_14_bytes_in_the_proxy_result() -> None:
    assert cost_in_response(item(0, EMOJI * 1001)) - cost_in_response(item(0, EMOJI)) == 14_000


def test_items_are_taken_in_order_until_one_does_not_fit() -> None:
    items = [item(i, EMOJI * 65_536) for i in range(7)]

    selection = select_within_budget(items)

    assert [i.message_id for i in selection.returned] == [f"in-{i}" for i in range(6)]
    assert [i.message_id for i in selection.left_out] == ["in-6"]
    assert selection.oversized == []
    assert proxy_result_bytes(selection) <= RESPONSE_BUDGET_BYTES
    assert outbox_page(selection).more is True


def test_after_the_first_miss_smaller_items_wait_too() -> None:
    """Order is kept: a small message behind a big one is not served before it."""
    items = [item(0, "a" * 500), item(1, "b" * 2000), item(2, "c")]
    budget = ENVELOPE_ALLOWANCE_BYTES + cost_in_response(items[1]) + 10  # 1 fits alone only

    selection = select_within_budget(items, budget)

    assert [i.message_id for i in selection.returned] == ["in-0"]
    assert [i.message_id for i in selection.left_out] == ["in-1", "in-2"]


def test_an_item_that_fits_no_response_is_set_apart() -> None:
    items = [item(0, "x" * 3000), item(1, "small")]
    budget = ENVELOPE_ALLOWANCE_BYTES + 1000

    selection = select_within_budget(items, budget)

    assert [i.message_id for i in selection.oversized] == ["in-0"]
    assert [i.message_id for i in selection.returned] == ["in-1"]
    assert outbox_page(selection).more is False

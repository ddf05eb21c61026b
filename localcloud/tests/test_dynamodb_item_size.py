"""New DynamoDB items are built as moto builds them, size limit included
(``moto_internals.dynamodb_item_size``), and the local cloud uses that builder."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from localcloud.moto_internals import dynamodb_item_size
from localcloud.server import LocalCloudServer

ATTRS: dict[str, Any] = {
    "pk": {"S": "p é"},
    "n": {"N": "-1.5"},
    "b": {"B": "AAE="},
    "ss": {"SS": ["a", "b"]},
    "l": {"L": [{"S": "x"}, {"M": {"k": {"BOOL": True}}}]},
    "m": {"M": {"inner": {"NS": ["1", "2"]}}},
    "null": {"NULL": True},
}


def _build(init: Any, attrs: dict[str, Any]) -> Item:
    item = Item.__new__(Item)
    init(item, DynamoType(attrs["pk"]), None, attrs)
    return item


def test_the_local_cloud_builds_items_with_one_running_size(
    local_server: LocalCloudServer,
) -> None:
    assert Item.__init__ is dynamodb_item_size._item_init


def test_items_are_moto_s_items() -> None:
    ours = _build(dynamodb_item_size._item_init, ATTRS)
    moto = _build(dynamodb_item_size.moto_item_init, ATTRS)

    assert ours == moto
    assert list(ours.attrs) == list(moto.attrs)
    assert type(ours.attrs) is type(moto.attrs)
    assert ours.size() == moto.size()
    assert ours.to_json() == moto.to_json()


@pytest.mark.parametrize("over", [-1, 0, 1])
def test_the_size_limit_is_moto_s_to_the_byte(over: int) -> None:
    # "pk" + "p é" (4 bytes) + "big" + the string value: at, under and over the limit.
    fixed = len(b"pk") + len("p é".encode()) + len(b"big")
    attrs = {
        "pk": ATTRS["pk"],
        "big": {"S": "x" * (dynamodb_item_size.ITEM_SIZE_LIMIT - fixed + over)},
    }
    outcomes = []
    for init in (dynamodb_item_size._item_init, dynamodb_item_size.moto_item_init):
        try:
            outcomes.append(_build(init, attrs).size())
        except ItemSizeTooLarge:
            outcomes.append("too large")
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0] == "too large") == (over > 0)

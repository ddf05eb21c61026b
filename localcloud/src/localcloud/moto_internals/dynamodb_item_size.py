"""A new DynamoDB item's size checked once as its attributes are added, not again for each one.

Why: moto 5.2.5 keeps an item's attributes in a ``LimitedSizeDict`` whose ``__setitem__`` sums
the size of every key and value already there before adding one (the 400 KB item limit), so
building an item of n attributes sizes O(n²) values. Every put builds one (``Item.__init__``):
about 33 µs for the listener's eight-attribute items here, 10 µs with the check below, and each
record is put twice (processed and listener tables).

``Item.__init__`` here adds the attributes in the same order with a running total of the same
sizes (``bytesize(str(key))`` and ``DynamoType.size()``, as ``LimitedSizeDict`` counts them) and
raises ``ItemSizeTooLarge`` at the same attribute moto would, over the same limit. Later changes to
an item (UpdateItem) still go through ``LimitedSizeDict.__setitem__``.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

# LimitedSizeDict.__setitem__'s limit ("between 409 and 410KB" measured on AWS, says moto).
ITEM_SIZE_LIMIT = 405000

moto_item_init = Item.__init__


def _item_init(
    self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]
) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        size += bytesize(str(key)) + typed.size()
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, typed)


def install_item_size_check() -> None:
    """Idempotent: patch moto's DynamoDB ``Item.__init__`` once per process."""
    Item.__init__ = _item_init  # type: ignore[method-assign]

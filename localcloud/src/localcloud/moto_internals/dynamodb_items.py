"""DynamoDB attribute values in moto's answers serialised in one pass, not member by member.

Why: moto's response serialiser walks botocore's shapes for every value it writes, and an
``AttributeValue`` is a structure of ten members (S, N, B, SS, ... BOOL), each looked up through
an attribute picker and its alias providers. Measured here, a BatchGetItem of 100 eight-attribute
items cost the local cloud ~75 ms of CPU, 0.76 ms an item, nearly all of it that walk (the load
tool's read-back of 10,000 listener items, and every Query, Scan and GetItem; bench/README.md).

What moto hands its serialiser there is already the JSON protocol's form (``dynamo_to_dict``:
``{"S": "x"}``, ``{"M": {...}}``, binary as bytes), so an item map or attribute value is written
here as moto's ``JSONSerializer`` would write it: members in the shape's order, a missing or None
member left out, strings through ``str``, binary base64, sets and lists element by element, maps
recursively. Anything else (not a dict, a key that is no member, a list that is not a list, a
response transformer on the picker) goes to moto's own code, and so do all other shapes;
``localcloud/tests/test_dynamodb_items.py`` compares the two on every attribute type.

It is moto's own serializer class for DynamoDB's JSON protocol (``SERVICE_SPECIFIC_SERIALIZERS``,
which moto itself uses for S3 and SQS), a subclass of the one it would pick.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from moto.core.model import ListShape, MapShape, Shape, StructureShape
from moto.core.serialize import SERVICE_SPECIFIC_SERIALIZERS, JSONSerializer

ATTRIBUTE_VALUE = "AttributeValue"
Convert = Callable[[Any], Any]


class _NotPlain(Exception):
    """A value this module does not write exactly as moto would: moto's code writes it."""


class DynamoDBItemSerializer(JSONSerializer):
    """moto's JSON serializer, with attribute values and maps of them written in one pass."""

    def _serialize_type_structure(
        self, serialized: Any, value: Any, shape: StructureShape, key: str
    ) -> None:
        if key and shape.name == ATTRIBUTE_VALUE and self._plain_picker():
            try:
                converted = _attribute_value(shape)(value)
            except _NotPlain:
                pass
            else:
                if converted is not None:
                    serialized[self.get_serialized_name(shape, key)] = converted
                return
        super()._serialize_type_structure(serialized, value, shape, key)

    def _serialize_type_map(self, serialized: Any, value: Any, shape: MapShape, key: str) -> None:
        value_shape = shape.value
        if (
            isinstance(value_shape, StructureShape)
            and value_shape.name == ATTRIBUTE_VALUE
            and self._plain_picker()
        ):
            try:
                converted = _map_of(_attribute_value(value_shape))(value)
            except _NotPlain:
                pass
            else:
                serialized[self.get_serialized_name(shape, key)] = converted
                return
        super()._serialize_type_map(serialized, value, shape, key)

    def _plain_picker(self) -> bool:
        # moto's pickers may transform values on given key paths; DynamoDB's has none.
        return not getattr(self._value_picker, "response_transformers", None)


def _string(value: Any) -> Any:
    # moto's BaseJSONSerializer._serialize_type_string (which gives a str back as it is)
    if type(value) is str:
        return value
    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in [None, {}, []] else value


def _blob(value: Any) -> str:
    # moto's ResponseSerializer._base64
    if isinstance(value, str):
        value = value.encode(JSONSerializer.DEFAULT_ENCODING)
    return base64.b64encode(value).strip().decode(JSONSerializer.DEFAULT_ENCODING)


def _as_is(value: Any) -> Any:
    return value


def _map_of(convert: Convert) -> Convert:
    def convert_map(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise _NotPlain
        out: dict[str, Any] = {}
        for name, item in value.items():
            converted = convert(item)
            if converted is not None:  # a None structure is left out of its map
                out[name] = converted
        return out

    return convert_map


def _list_of(convert: Convert, *, none_kept: bool) -> Convert:
    def convert_list(value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise _NotPlain
        # A None element of a list of structures is kept as None; scalars go through.
        if none_kept:
            return [None if item is None else convert(item) for item in value]
        return [convert(item) for item in value]

    return convert_list


_converters: dict[str, Convert] = {}


def _attribute_value(shape: StructureShape) -> Convert:
    """The one-pass writer of an ``AttributeValue`` (built from the first such shape seen: the
    shape is the same in every DynamoDB answer)."""
    cached = _converters.get(shape.name)
    if cached is not None:
        return cached
    members: dict[str, Convert] = {}

    def convert(value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not members.keys() >= value.keys():
            raise _NotPlain
        if len(value) == 1:  # what DynamoDB stores: one type per value
            ((name, member),) = value.items()
            return {} if member is None else {name: members[name](member)}
        return {
            name: write(member)
            for name, write in members.items()
            if (member := value.get(name)) is not None
        }

    for name, member_shape in shape.members.items():
        members[name] = _member(member_shape, shape, convert)
    _converters[shape.name] = convert
    return convert


def _member(shape: Shape, attribute_value: StructureShape, recurse: Convert) -> Convert:
    scalar = _SCALARS.get(shape.type_name)
    if scalar is not None:
        return scalar
    if isinstance(shape, MapShape) and shape.value.name == attribute_value.name:
        return _map_of(recurse)
    if isinstance(shape, ListShape):
        if shape.member.name == attribute_value.name:
            return _list_of(recurse, none_kept=True)
        element = _SCALARS.get(shape.member.type_name)
        if element is not None and element is not _as_is:
            return _list_of(element, none_kept=False)
    # A member type this module was not written for: every value goes to moto.
    return _unsupported


def _unsupported(value: Any) -> Any:
    raise _NotPlain


_SCALARS: dict[str, Convert] = {"string": _string, "blob": _blob, "boolean": _as_is}


def install_dynamodb_item_serializer() -> None:
    """Idempotent: DynamoDB's JSON answers serialised by ``DynamoDBItemSerializer``."""
    SERVICE_SPECIFIC_SERIALIZERS.setdefault("dynamodb", {})["json"] = DynamoDBItemSerializer

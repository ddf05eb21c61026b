"""DynamoDB attribute values in requests parsed in one pass, not member by member.

Why: moto parses every request by walking botocore's shapes (``moto.core.parse``), and each
attribute value of each item is a structure of ten members tried one by one. The record processor
and the listener write 25 items a BatchWriteItem, 800 requests per 10,000 records, and that walk
was about a sixth of the local cloud's CPU in the issue 16 profile (bench/README.md), the
counterpart of ``dynamodb_items`` on the way in.

A JSON attribute value is already what moto's ``JSONParser`` makes of it except binary: this
parser gives the same result in one pass (members in the shape's order, a null member left out,
unknown keys dropped, ``B``/``BS`` base64-decoded, maps and lists recursively). Any node it was not
written for (not a dict, a set that is not a list, a non-default map type or blob parser) goes to
moto's code; so does every shape that is not DynamoDB's ``AttributeValue`` or a map of them, and
every other service. ``localcloud/tests/test_dynamodb_requests.py`` compares the two.

moto has one JSON parser for every service (``moto.core.parse.PROTOCOL_PARSERS["json"]``), so
this subclass of it takes that place and changes nothing but DynamoDB's attribute values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.parse import PROTOCOL_PARSERS, JSONParser, default_blob_parser

ATTRIBUTE_VALUE = "AttributeValue"
Convert = Callable[[Any], Any]


class _NotPlain(Exception):
    """A node this module does not parse exactly as moto would: moto's code parses it."""


class DynamoDBItemParser(JSONParser):
    """moto's JSON request parser, with DynamoDB attribute values parsed in one pass."""

    def _parse_structure(self, shape: Any, value: Any) -> Any:
        if shape.name == ATTRIBUTE_VALUE and self._plain():
            try:
                return _attribute_value(shape)(value)
            except _NotPlain:
                pass
        return super()._parse_structure(shape, value)  # type: ignore[no-untyped-call]

    def _parse_map(self, shape: Any, value: Any) -> Any:
        if shape.value.name == ATTRIBUTE_VALUE and self._plain():
            try:
                return _map_of(_attribute_value(shape.value))(value)
            except _NotPlain:
                pass
        return super()._parse_map(shape, value)  # type: ignore[no-untyped-call]

    def _plain(self) -> bool:
        return (
            self.operation_model.service_model.service_name == "dynamodb"
            and self.MAP_TYPE is dict
            and self._blob_parser is default_blob_parser
        )


def _as_is(value: Any) -> Any:
    return value


def _map_of(convert: Convert) -> Convert:
    def convert_map(value: Any) -> dict[str, Any]:
        # RequestParser._parse_map: every key kept, a null value parsed to None.
        if not isinstance(value, dict):
            raise _NotPlain
        return {key: convert(item) for key, item in value.items()}

    return convert_map


def _list_of(convert: Convert) -> Convert:
    def convert_list(value: Any) -> list[Any]:
        # RequestParser._parse_list iterates whatever it is given (a string's characters too).
        if not isinstance(value, list):
            raise _NotPlain
        return [convert(item) for item in value]

    return convert_list


_converters: dict[str, Convert] = {}


def _attribute_value(shape: Any) -> Convert:
    """The one-pass parser of an ``AttributeValue`` (built from the first such shape seen: the
    shape is the same in every DynamoDB request)."""
    cached = _converters.get(shape.name)
    if cached is not None:
        return cached
    members: dict[str, tuple[str, Convert]] = {}

    def convert(value: Any) -> dict[str, Any] | None:
        # BaseJSONParser._parse_structure: a null stays None; members in the shape's order.
        if value is None:
            return None
        if not isinstance(value, dict) or not _wire_names.keys() >= value.keys():
            raise _NotPlain
        if len(value) == 1:  # what DynamoDB accepts: one type per value
            ((wire_name, raw),) = value.items()
            name = _wire_names[wire_name]
            return {} if raw is None else {name: members[name][1](raw)}
        return {
            name: parse(raw)
            for name, (wire_name, parse) in members.items()
            if (raw := value.get(wire_name)) is not None
        }

    _wire_names: dict[str, str] = {}
    for name, member_shape in shape.members.items():
        wire_name = member_shape.serialization.get("name", name)
        members[name] = (wire_name, _member(member_shape, shape, convert))
        _wire_names[wire_name] = name
    _converters[shape.name] = convert
    return convert


def _member(shape: Any, attribute_value: Any, recurse: Convert) -> Convert:
    scalar = _SCALARS.get(shape.type_name)
    if scalar is not None:
        return scalar
    if shape.type_name == "map" and shape.value.name == attribute_value.name:
        return _map_of(recurse)
    if shape.type_name == "list":
        if shape.member.name == attribute_value.name:
            return _list_of(recurse)
        element = _SCALARS.get(shape.member.type_name)
        if element is not None:
            return _list_of(element)
    # A member type this module was not written for: every value goes to moto.
    return _unsupported


def _unsupported(value: Any) -> Any:
    raise _NotPlain


# BaseJSONParser: strings and booleans as they are, blobs through the default blob parser.
_SCALARS: dict[str, Convert] = {"string": _as_is, "boolean": _as_is, "blob": default_blob_parser}


def install_dynamodb_item_parser() -> None:
    """Idempotent: JSON-protocol requests parsed by ``DynamoDBItemParser``."""
    PROTOCOL_PARSERS["json"] = DynamoDBItemParser

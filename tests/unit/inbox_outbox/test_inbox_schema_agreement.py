"""The pydantic InboxMessage and the template's OpenAPI InboxMessage schema accept the same bodies.

The schema is loaded from template.yaml itself (samtranslator's loader understands the
CloudFormation tags), so editing either side without the other fails here. The schema side is
checked as API Gateway reads it (the local cloud's validator: Java regex semantics, a JSON parser
that keeps escaped lone surrogates) and as the plain `jsonschema` library reads it (Python's re);
the model side as the function reads a queue body (`InboxBody`: the API's JSON semantics, then
the model). Issue #12 case 6: `{"id": "abc\\n"}` and `{"message": "\\ud800"}` were 200s at the
API that the model refused; so was a duplicate name whose overridden value held an escaped lone
surrogate or nesting past 200 levels, while pydantic's JSON parser read the function's bodies.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from inbox_outbox.models import ID_PATTERN, MESSAGE_PATTERN, TYPE_PATTERN, InboxBody, InboxMessage
from localcloud.apigw.validation import ApiGatewayValidator, body_errors
from tests.unit.inbox_outbox.moto_queues import inbox_message_schema

GOOD_BODIES: list[Any] = [
    {"id": "a", "message": "m"},
    {"id": "order-1001", "message": "hello", "type": "greeting"},
    {"id": "tenant:42.item_7-x", "message": "unicode ✓ é", "type": "a.b_c-d"},
    {"id": "x" * 128, "message": "y" * 65536, "type": "t" * 64},
    {"id": "A.Z:0_9-", "message": " leading and trailing spaces "},
]

BAD_BODIES: list[Any] = [
    {},
    {"id": "a"},
    {"message": "m"},
    {"id": "", "message": "m"},
    {"id": "a", "message": ""},
    {"id": "x" * 129, "message": "m"},
    {"id": "a", "message": "y" * 65537},
    {"id": "a", "message": "m", "type": ""},
    {"id": "a", "message": "m", "type": "t" * 65},
    {"id": "has space", "message": "m"},
    {"id": "slash/no", "message": "m"},
    {"id": "a", "message": "m", "type": "colon:no"},
    {"id": "a", "message": "m", "type": None},
    {"id": 1, "message": "m"},
    {"id": "a", "message": 5},
    {"id": "a", "message": True},
    {"id": "a", "message": ["m"]},
    {"id": "a", "message": "m", "extra": 1},
    [],
    "just a string",
    None,
    42,
]


def _json_text(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body)


def api_accepts(body: Any) -> bool:
    """API Gateway's request validator (as the local cloud applies it) on the body's JSON text."""
    text = _json_text(body).encode("utf-8", "surrogatepass")
    return body_errors(ApiGatewayValidator(inbox_message_schema()), text) == []


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def jsonschema_accepts(body: Any) -> bool:
    """The plain `jsonschema` library (Python's re) on the parsed body."""
    try:
        document = json.loads(_json_text(body), parse_constant=_not_json)
    except (ValueError, RecursionError):
        return False
    return bool(jsonschema.Draft4Validator(inbox_message_schema()).is_valid(document))


_INBOX_BODY: TypeAdapter[InboxMessage] = TypeAdapter(InboxBody)


def model_accepts(body: Any) -> bool:
    # The Lambda sees the body as JSON text on the queue, so validate exactly that, as it does.
    try:
        _INBOX_BODY.validate_python(_json_text(body))
    except ValidationError:
        return False
    return True


def schema_accepts(body: Any) -> bool:
    accepted = api_accepts(body)
    assert jsonschema_accepts(body) == accepted, "Python's re reads a pattern unlike Java's"
    return accepted


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft4Validator.check_schema(inbox_message_schema())


@pytest.mark.parametrize("body", GOOD_BODIES, ids=lambda b: json.dumps(b)[:40])
def test_both_accept_good_bodies(body: Any) -> None:
    assert schema_accepts(body)
    assert model_accepts(body)


@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda b: json.dumps(b)[:40])
def test_both_reject_bad_bodies(body: Any) -> None:
    assert not schema_accepts(body)
    assert not model_accepts(body)


def test_model_constraints_equal_the_schema() -> None:
    schema = inbox_message_schema()
    properties = schema["properties"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"id", "message"}
    assert InboxMessage.model_config.get("extra") == "forbid"
    assert properties["id"]["pattern"] == ID_PATTERN
    assert properties["type"]["pattern"] == TYPE_PATTERN
    assert properties["message"]["pattern"] == MESSAGE_PATTERN

    generated = InboxMessage.model_json_schema()["properties"]
    required = set(InboxMessage.model_json_schema()["required"])
    assert required == set(schema["required"])
    for name, expected in properties.items():
        # Optional fields come out as anyOf [constrained string, null]; the constraints are on
        # the string branch.
        branches = generated[name].get("anyOf", [generated[name]])
        constrained = next(b for b in branches if b.get("type") == "string")
        for keyword in ("minLength", "maxLength", "pattern"):
            assert constrained.get(keyword) == expected.get(keyword), (name, keyword)


# JSON texts at the edges of both parsers and regex engines: line terminators where Java's `$`
# would have matched, escaped lone surrogates (kept by API Gateway's parser, refused by
# pydantic's), duplicate names (the last wins in both, and what the first held must not matter),
# tokens and numbers JSON parsers refuse.
GOOD_TEXTS = [
    '{"id":"a","message":"\\ud83d\\ude00"}',  # an escaped pair is one character
    '{"id":"a","message":"raw \U0001f600, \u2028 and \u0085 inside"}',
    '{"id":"a","message":"ends with a newline\\n"}',
    '{"id":"a","message":"\\r\\n"}',
    '{"id":"bad id","message":"m","id":"a"}',
    '{"id":"a","message":"m","type":"t:no","type":"t"}',
    '{"id":"a","message":"\\ud800","message":"m"}',
    '{"id":"\\udc00x","id":"a","message":"m"}',
    '{"id":' + "[" * 300 + "]" * 300 + ',"id":"a","message":"m"}',
    '{"id":1e400,"id":"a","message":"m"}',  # a double out of range is infinity, not an error
]
BAD_TEXTS = [
    *(
        f'{{"id":"abc{end}","message":"m"}}'
        for end in ("\\n", "\\r\\n", "\\r", "\\u0085", "\\u2028", "\\u2029", "\\n\\n")
    ),
    *(f'{{"id":"a","message":"m","type":"t{end}"}}' for end in ("\\n", "\\r", "\\u2028")),
    '{"id":"\\na","message":"m"}',
    '{"id":"a","message":"\\ud800"}',
    '{"id":"a","message":"x\\udc00y"}',
    '{"id":"a","message":"\\ude00\\ud83d"}',
    '{"id":"a","message":"m","message":"\\ud800"}',
    '{"id":"a","message":"m","id":"bad id"}',
    '{"id":"a","message":NaN}',
    '{"id":"a","message":"m","type":Infinity}',
    '{"id":NaN,"id":"a","message":"m"}',
    '{"id":"a","message":"m","type":-Infinity,"type":"t"}',
    '{"id":' + "1" * 4301 + ',"message":"m"}',
    '{"id":"a","message":"m","x":' + "[" * 20_000 + "]" * 20_000 + "}",
    '{"id":"a","message":"m"',
]


@pytest.mark.parametrize("text", GOOD_TEXTS, ids=lambda t: t[:40])
def test_both_accept_good_texts(text: str) -> None:
    assert schema_accepts(text)
    assert model_accepts(text)


@pytest.mark.parametrize("text", BAD_TEXTS, ids=lambda t: t[:40])
def test_both_reject_bad_texts(text: str) -> None:
    assert not schema_accepts(text)
    assert not model_accepts(text)


# Text around the bounds, drawn from the allowed characters, a few that are not, every line
# terminator Java knows and surrogates (lone, or halves of a pair when the JSON escapes them).
_alphabet = st.sampled_from(
    [
        *"aZ09._:-",
        *(" ", "/", "é", "\t", "ß"),
        *("\n", "\r", "\u0085", "\u2028", "\u2029"),
        *("\ud800", "\udbff", "\udc00", "\udfff", "\U0001f600"),
    ]
)
_text = st.one_of(
    st.text(_alphabet, min_size=0, max_size=3),
    st.text(_alphabet, min_size=126, max_size=130),
    st.text(st.sampled_from(list("aZ09._-")), min_size=62, max_size=66),
    st.text(st.sampled_from(list("aZ09._-")), min_size=1, max_size=8).map(
        lambda text: text + "\r\n"
    ),
)
_value = st.one_of(_text, st.integers(), st.none(), st.booleans())
_bodies = st.dictionaries(
    st.sampled_from(["id", "message", "type", "extra"]), _value, min_size=0, max_size=4
)


@settings(max_examples=300, deadline=None)
@given(_bodies, st.booleans())
def test_model_and_schema_agree_on_generated_bodies(body: dict[str, Any], raw: bool) -> None:
    # Raw UTF-8 where it can be (a lone surrogate can only be sent escaped).
    text = json.dumps(body, ensure_ascii=not raw)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(body)
    assert model_accepts(text) == schema_accepts(text)

"""The pydantic InboxMessage and the template's OpenAPI InboxMessage schema accept the same bodies.

The schema is loaded from template.yaml itself (samtranslator's loader understands the
CloudFormation tags), so editing either side without the other fails here.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from inbox_outbox.models import ID_PATTERN, TYPE_PATTERN, InboxMessage
from tests.unit.inbox_outbox.sqs_harness import inbox_message_schema

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


def schema_accepts(body: Any) -> bool:
    try:
        jsonschema.validate(body, inbox_message_schema())
    except jsonschema.ValidationError:
        return False
    return True


def model_accepts(body: Any) -> bool:
    # The Lambda sees the body as JSON text on the queue, so validate exactly that.
    try:
        InboxMessage.model_validate_json(json.dumps(body))
    except ValidationError:
        return False
    return True


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
    assert "pattern" not in properties["message"]

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


def test_trailing_newline_follows_ecma_262_not_python_re() -> None:
    # JSON Schema patterns are ECMA 262 regexes, where `$` matches only at the very end, so "a\n"
    # does not match ^[A-Za-z0-9._:-]+$. The python `jsonschema` library uses `re.search`, whose
    # `$` also matches before a final newline; the model (pydantic's Rust regex) follows ECMA.
    body = {"id": "a\n", "message": "m"}
    assert not model_accepts(body)
    assert schema_accepts(body), "python-jsonschema quirk changed; drop this test's exemption"


# Text around the bounds, drawn from the allowed characters and a few that are not; no "\n"
# (see the test above).
_alphabet = st.sampled_from([*"aZ09._:-", " ", "/", "é", "\t", "ß"])
_text = st.one_of(
    st.text(_alphabet, min_size=0, max_size=3),
    st.text(_alphabet, min_size=126, max_size=130),
    st.text(st.sampled_from(list("aZ09._-")), min_size=62, max_size=66),
)
_value = st.one_of(_text, st.integers(), st.none(), st.booleans())
_bodies = st.dictionaries(
    st.sampled_from(["id", "message", "type", "extra"]), _value, min_size=0, max_size=4
)


@settings(max_examples=300, deadline=None)
@given(_bodies)
def test_model_and_schema_agree_on_generated_bodies(body: dict[str, Any]) -> None:
    assert model_accepts(body) == schema_accepts(body)

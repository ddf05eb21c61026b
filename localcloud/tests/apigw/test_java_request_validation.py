"""The local validator reads `pattern` as API Gateway's Java validator does, and POST /inbox
refuses what the function's model refuses (issue #12 case 6).

Java's `$` also matches before a line terminator that ends the input (\\n, \\r\\n, \\r, U+0085,
U+2028, U+2029), so the schema's former `^[A-Za-z0-9._:-]+$` let "abc\\n" through API Gateway
while the model refused it; its JSON parser keeps an escaped lone surrogate that pydantic's
refuses. The translation is checked against a real JVM when one is on PATH.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from tests.apigw.apigw_support import (
    Deployed,
    inbox_outbox_definition,
    send,
    take_messages,
)

from inbox_outbox.models import InboxMessage
from localcloud.apigw.java_regex import java_find, to_python
from localcloud.apigw.validation import ApiGatewayValidator, body_errors

JAVA_FIND = Path(__file__).resolve().parent / "java" / "JavaFind.java"


def _inbox_schema() -> dict[str, Any]:
    schema: dict[str, Any] = inbox_outbox_definition()["components"]["schemas"]["InboxMessage"]
    return schema


SYNTHETIC_PATTERNS = [
    "^[A-Za-z0-9._:-]+$",  # the schema's former id pattern
    "^[a-z]+$",
    "a$",
    "^$",
    "$",
    "^a.c$",
    "^.+$",
    r"^\d+$",
    r"^\w+\Z",
    r"^\s*x\z",
    r"\Q$.\E",
    "[]$]",
    "[^]a]b$",
    r"^[a\]]$",
    "[.]",
    r"\$",
    r"^[^\uD800-\uDFFF]*$",
]
_ALPHABET = [
    *"ac1x$.] ",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: a digit to Python's \d, not to Java's
    "é",
    "\n",
    "\r",
    "\u0085",
    "\u2028",
    "\u2029",
    "\ud800",
    "\udc00",
    "\U0001f600",
]
_LONGER = ["abc", "abc\n", "abc\r\n", "abc\n\n", "abc\r\r", "abc\n\r", "a\r\nb", "x\n", "ac\r\n"]


def _inputs() -> list[str]:
    short = ["".join(chars) for n in range(3) for chars in itertools.product(_ALPHABET, repeat=n)]
    # A high surrogate followed by a low one is a pair to Java (one code point) but two code
    # points to Python; a JSON parser never gives Python such a string, so it is left out.
    return [
        text
        for text in short + _LONGER
        if not any(
            "\ud800" <= a <= "\udbff" and "\udc00" <= b <= "\udfff"
            for a, b in itertools.pairwise(text)
        )
    ]


def _is_pair(first: str, second: str) -> bool:
    return "\ud800" <= first <= "\udbff" and "\udc00" <= second <= "\udfff"


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be", "surrogatepass").hex()


@pytest.mark.skipif(shutil.which("java") is None, reason="no JVM on PATH to compare with")
def test_patterns_match_exactly_what_java_util_regex_matches() -> None:
    template_patterns = [
        spec["pattern"] for spec in _inbox_schema()["properties"].values() if "pattern" in spec
    ]
    cases = [
        (pattern, text)
        for pattern in [*template_patterns, *SYNTHETIC_PATTERNS]
        for text in _inputs()
    ]
    lines = "".join(f"{_utf16_hex(p)}\t{_utf16_hex(t)}\n" for p, t in cases)
    java = subprocess.run(
        ["java", str(JAVA_FIND)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    java_says = java.stdout.split()
    assert len(java_says) == len(cases)
    disagreements = [
        (pattern, text, said)
        for (pattern, text), said in zip(cases, java_says, strict=True)
        if java_find(pattern, text) != (said == "1")
    ]
    assert disagreements == [], disagreements[:10]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("abc", True),
        ("abc\n", True),
        ("abc\r\n", True),
        ("abc\r", True),  # Python's $ does not skip a final \r; Java's does
        ("abc\u2028", True),
        ("abc\u0085", True),
        ("abc\n\n", False),
        ("abc\r\r", False),
        ("ab c", False),
    ],
)
def test_dollar_matches_before_a_final_line_terminator_as_in_java(text: str, found: bool) -> None:
    assert java_find("^[a-z]+$", text) is found


def test_dot_and_shorthand_classes_are_javas() -> None:
    assert not java_find("^a.c$", "a\rc")  # Java's . excludes every line terminator
    assert not java_find(r"^\d$", "\u0663")  # ASCII digits only
    assert java_find(r"^\d$", "3")
    assert to_python(r"[$.]\$") == r"[$.]\$"  # classes and escapes are copied as they are


def test_the_former_id_pattern_let_a_trailing_line_terminator_through() -> None:
    # What API Gateway did with the schema's plain `$`: the local validator now shows it too.
    former = {"type": "object", "properties": {"id": {"type": "string", "pattern": "^[a-z]+$"}}}
    validator = ApiGatewayValidator(former)
    for body in (b'{"id":"abc\\n"}', b'{"id":"abc\\r"}', b'{"id":"abc\\u2028"}'):
        assert body_errors(validator, body) == [], body


# Bodies the function's model (pydantic: absolute-end regex, strict JSON parser) refuses: the API
# must refuse them too, or they are 200s that end in InputQueueDLQ after six receives.
REFUSED_BY_THE_MODEL = [
    b'{"id":"abc\\n","message":"m"}',
    b'{"id":"abc\\r\\n","message":"m"}',
    b'{"id":"abc\\r","message":"m"}',
    b'{"id":"abc\\u2028","message":"m"}',
    b'{"id":"abc\\u0085","message":"m"}',
    b'{"id":"a","message":"m","type":"abc\\n"}',
    b'{"id":"a","message":"m","type":"t\\u2029"}',
    b'{"id":"a","message":"\\ud800"}',
    b'{"id":"a","message":"x\\udc00y"}',
    b'{"id":"a","message":"\\ude00\\ud83d"}',  # a pair in the wrong order is two lone halves
    b'{"id":"a","message":"m","message":"\\ud800"}',  # the last duplicate is the one checked
    b'{"id":"a","message":NaN}',
]
ACCEPTED_BY_THE_MODEL = [
    b'{"id":"a","message":"\\ud83d\\ude00"}',  # an escaped pair is one character
    '{"id":"a","message":"raw \U0001f600 and \u2028 inside"}'.encode(),
    b'{"id":"a","message":"ends with a newline\\n"}',
    b'{"id":"bad id","message":"m","id":"a"}',  # the last duplicate wins
]


@pytest.mark.parametrize("body", REFUSED_BY_THE_MODEL, ids=lambda b: b.decode()[:40])
def test_post_inbox_refuses_what_the_model_refuses(api: Deployed, sqs: Any, body: bytes) -> None:
    with pytest.raises(ValidationError):
        InboxMessage.model_validate_json(body)
    response = send(
        "POST", f"{api.base_url}/inbox", body=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Invalid request body"
    assert take_messages(sqs, api.queue_url) == []


@pytest.mark.parametrize("body", ACCEPTED_BY_THE_MODEL, ids=lambda b: b.decode()[:40])
def test_post_inbox_accepts_what_the_model_accepts(api: Deployed, sqs: Any, body: bytes) -> None:
    response = send(
        "POST", f"{api.base_url}/inbox", body=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200, response.text
    (message,) = take_messages(sqs, api.queue_url)
    assert message["Body"].encode() == body
    InboxMessage.model_validate_json(body)  # and the function takes it

"""Hypothesis strategies for input-queue bodies, and the contract that says which are valid.

The oracle is the API's contract, not the Lambda's model: template.yaml's InboxMessage JSON
schema as API Gateway's request validator reads it (the local cloud's validator: Java regex
semantics, NaN/Infinity refused, duplicate names last-wins), plus the one rule the handler adds
on purpose: `type` must not be the configured poison type. Every body is one SQS accepts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from localcloud.apigw.validation import ApiGatewayValidator, body_errors
from tests.unit.inbox_outbox.moto_queues import inbox_message_schema

POISON_TYPE = "malformed"  # POISON_MESSAGE_TYPE in the fuzz environment (conftest.py)
# The template's queues keep SQS's default MaximumMessageSize, 1 MiB (moto's too).
SQS_MAX_BODY_BYTES = 1024 * 1024
# Characters SQS refuses in a body: all but #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF.
_SQS_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MESSAGE_MAX_CHARS = 65_536


@dataclass(frozen=True)
class BodyCase:
    body: str
    valid: bool
    kind: str


@cache
def _api_validator() -> Any:
    return ApiGatewayValidator(inbox_message_schema())


def contract_accepts(body: str) -> bool:
    """True if the contract says the body must be forwarded."""
    # A body on the queue is text; one with a lone surrogate can only be there escaped.
    if body_errors(_api_validator(), body.encode("utf-8", "surrogatepass")):
        return False
    return bool(json.loads(body).get("type") != POISON_TYPE)


def sqs_accepts(body: str) -> bool:
    """SQS's rules for a message body: non-empty, allowed characters, at most 256 KiB."""
    return (
        bool(body)
        and _SQS_FORBIDDEN.search(body) is None
        and len(body.encode("utf-8")) <= SQS_MAX_BODY_BYTES
    )


def _dump(document: Any, escape_unicode: bool) -> str:
    """JSON as producers write it; escaped when raw text would break SQS's rules."""
    body = json.dumps(document, ensure_ascii=escape_unicode)
    if not sqs_accepts(body):
        body = json.dumps(document, ensure_ascii=True)
    if not sqs_accepts(body):  # escaping made it too long: raw text, if SQS takes it
        body = json.dumps(document, ensure_ascii=False)
    return body


# Every line terminator of java.util.regex.
LINE_TERMINATORS = ("\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029")
TEXTS = st.text(min_size=1, max_size=20)
IDS = st.from_regex(r"\A[A-Za-z0-9._:-]{1,128}\Z")
TYPES = st.from_regex(r"\A[A-Za-z0-9._-]{1,64}\Z").filter(lambda value: value != POISON_TYPE)


@dataclass(frozen=True)
class Vocabulary:
    """Where the strings of generated bodies come from (the log property marks them all)."""

    texts: st.SearchStrategy[str] = TEXTS
    ids: st.SearchStrategy[str] = IDS  # must match the id pattern
    types: st.SearchStrategy[str] = TYPES  # must match the type pattern, not the poison type
    field_names: st.SearchStrategy[str] | None = None  # of unexpected fields; default: texts

    @property
    def names(self) -> st.SearchStrategy[str]:
        return self.field_names if self.field_names is not None else self.texts


@st.composite
def message_texts(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    """Short fuzz text mostly; sometimes exactly the 65,536-character limit, in characters of 1-4
    bytes (an astral one is 12 bytes once escaped: the largest valid body, about 768 KiB)."""
    if draw(st.integers(0, 19)) == 0:
        pad = draw(st.sampled_from(["m", "é", "€", "\U0001f600"]))
        prefix = draw(texts)[:16]
        return prefix + pad * (MESSAGE_MAX_CHARS - len(prefix))
    return draw(texts)


@st.composite
def inbox_documents(draw: st.DrawFn, words: Vocabulary) -> dict[str, Any]:
    document: dict[str, Any] = {"id": draw(words.ids), "message": draw(message_texts(words.texts))}
    if draw(st.booleans()):
        document["type"] = draw(words.types)
    return document


@st.composite
def valid_bodies(draw: st.DrawFn, words: Vocabulary) -> BodyCase:
    body = _dump(draw(inbox_documents(words)), draw(st.booleans()))
    return BodyCase(body, True, "valid")


_WRONG_TYPES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.lists(st.text())
)


def _broken_values(field: str, words: Vocabulary) -> st.SearchStrategy[Any]:
    """Values that break one field of the schema (or the poison rule)."""
    common = [_WRONG_TYPES, st.just("")]
    ids, texts, types = words.ids, words.texts, words.types
    if field == "id":
        return st.one_of(
            *common,
            st.text(min_size=129, max_size=140, alphabet="abc"),
            # Java's "$" (API Gateway) also matched before a final line terminator.
            st.builds(lambda value, end: value + end, ids, st.sampled_from(LINE_TERMINATORS)),
            st.builds(lambda a, bad, b: a + bad + b, ids, st.sampled_from(" /é\t#"), ids),
        )
    if field == "message":
        return st.one_of(
            *common,
            st.just("m" * (MESSAGE_MAX_CHARS + 1)),
            # Lone surrogates (sent as \\udc00-style escapes), at either end or inside.
            texts.map(lambda text: text + "\udc00"),
            st.builds(
                lambda a, surrogate, b: a + chr(surrogate) + b,
                texts,
                st.integers(0xD800, 0xDFFF),
                texts,
            ),
        )
    return st.one_of(
        *common,
        st.just(POISON_TYPE),
        st.text(min_size=65, max_size=70, alphabet="t"),
        st.builds(lambda a, bad: a + bad, types, st.sampled_from(" :/é")),
        st.builds(lambda value, end: value + end, types, st.sampled_from(LINE_TERMINATORS)),
    )


@st.composite
def near_miss_bodies(draw: st.DrawFn, words: Vocabulary) -> BodyCase:
    """A valid body broken in exactly one way (test_fuzz_process_input checks the oracle agrees)."""
    document = draw(inbox_documents(words))
    how = draw(st.sampled_from(["id", "message", "type", "missing", "extra", "not_an_object"]))
    if how == "missing":
        del document[draw(st.sampled_from(["id", "message"]))]
    elif how == "extra":
        name = draw(words.names.filter(lambda text: text not in {"id", "message", "type"}))
        document[name] = draw(words.texts)
    elif how == "not_an_object":
        return BodyCase(
            _dump(draw(st.sampled_from([[document], document["message"], None, 1])), False),
            False,
            how,
        )
    else:
        document[how] = draw(_broken_values(how, words))
    return BodyCase(_dump(document, draw(st.booleans())), False, f"near_miss:{how}")


def _disputed_values(words: Vocabulary) -> st.SearchStrategy[str]:
    """JSON values (as text) that pydantic's parser read unlike API Gateway's: escaped lone
    surrogates and nesting past 200 levels (API Gateway reads both), NaN and Infinity (it refuses
    them). Far under Python's nesting limit (about 10,000), so the oracle's verdict is stable."""
    return st.one_of(
        st.builds(
            lambda a, surrogate, b: json.dumps(a + chr(surrogate) + b),
            words.texts,
            st.integers(0xD800, 0xDFFF),
            words.texts,
        ),
        st.integers(201, 2_000).map(lambda depth: "[" * depth + "]" * depth),
        st.sampled_from(["NaN", "Infinity", "-Infinity"]),
    )


_PLACEHOLDER = "\x00placeholder\x00"


def _with_raw_value(document: dict[str, Any], field: str, raw: str) -> str:
    """The document's JSON with `field`'s value replaced by raw text, JSON or not."""
    return json.dumps({**document, field: _PLACEHOLDER}).replace(json.dumps(_PLACEHOLDER), raw, 1)


@st.composite
def parser_edge_bodies(draw: st.DrawFn, words: Vocabulary) -> BodyCase:
    """Bodies at the JSON parsers' edges (issue #12): what they refuse, and duplicate names.

    Whether one is valid is the oracle's call: a duplicate name is valid when its last value is.
    """
    document = draw(inbox_documents(words))
    field = draw(st.sampled_from(["id", "message", "type"]))
    kind = draw(st.sampled_from(["huge_integer", "too_deep", "non_finite", "duplicate_name"]))
    if kind == "huge_integer":
        raw = "9" * draw(st.integers(4301, 20_000))
    elif kind == "too_deep":
        depth = draw(st.integers(20_000, 50_000))
        raw = "[" * depth + "]" * depth
    elif kind == "non_finite":
        raw = draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))
    else:
        # The name twice, the valid value first or last; sizes stay far under SQS's limit.
        document["message"] = document["message"][:100]
        other = draw(
            st.one_of(
                st.builds(json.dumps, st.one_of(_broken_values(field, words), words.texts)),
                _disputed_values(words),
            )
        )
        own = json.dumps(document.get(field))
        first, last = (other, own) if draw(st.booleans()) else (own, other)
        body = f"{{{json.dumps(field)}:{first},{_with_raw_value(document, field, last)[1:]}"
        return BodyCase(body, contract_accepts(body), f"edge:{kind}")
    body = _with_raw_value(document, field, raw)
    return BodyCase(body, False, f"near_miss:{kind}")


def json_documents(words: Vocabulary) -> st.SearchStrategy[Any]:
    """JSON of random shapes, keyed often enough by the schema's names to be valid sometimes."""
    names = st.one_of(st.sampled_from(["id", "message", "type"]), words.names)
    return st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), words.texts, words.ids),
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(names, children, max_size=4)
        ),
        max_leaves=8,
    )


def arbitrary_bodies(words: Vocabulary, any_text: bool) -> st.SearchStrategy[BodyCase]:
    """Random JSON and text; `any_text` adds text of any characters (the log property has no
    use for it: unmarked text cannot show a leak)."""
    random_json = st.builds(_dump, json_documents(words), st.booleans())
    raw = [words.texts, random_json, *([st.text(min_size=1)] if any_text else [])]
    return (
        st.one_of(raw)
        .filter(sqs_accepts)
        .map(lambda body: BodyCase(body, contract_accepts(body), "arbitrary"))
    )


def bodies(
    words: Vocabulary | None = None, max_size: int = 30, any_text: bool = True
) -> st.SearchStrategy[list[BodyCase]]:
    """Batches (by size first, so long ones are common) of valid, near-miss and random bodies."""
    words = words if words is not None else Vocabulary()
    case = st.one_of(
        valid_bodies(words),
        valid_bodies(words),
        near_miss_bodies(words),
        parser_edge_bodies(words),
        arbitrary_bodies(words, any_text),
    )
    return st.integers(1, max_size).flatmap(
        lambda size: st.lists(case, min_size=size, max_size=size)
    )

"""Hypothesis strategies for Kinesis record data: valid payloads, near misses and arbitrary bytes.

Every generated `DataCase` carries the outcome the contract of `record_payload.py` demands: the
(batch, id) item it must become, or the reject reason (when the case was built to break exactly
one rule; arbitrary bytes only promise *some* reason). Batches are turned into the event Lambda's
Kinesis event source mapping delivers with the sample-event generator's own record builder.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from events.record_stream.generate import kinesis_record
from record_stream.logic.record_payload import PARTITION_KEY_MAX_BYTES, SORT_KEY_MAX_BYTES

ItemKey = tuple[str, str]

# Characters of every UTF-8 width, so exact-size keys are built from 1- to 4-byte characters.
_WIDE_CHARACTERS = ("x", "é", "€", "𝄞")
_KEY_LIMITS = {"batch": PARTITION_KEY_MAX_BYTES, "id": SORT_KEY_MAX_BYTES}
# Byte sequences that are invalid UTF-8 wherever they are inserted: 0xFF/0xFE/0xC0 never occur in
# UTF-8, an encoded surrogate (ED A0 80) and a code point above U+10FFFF (F4 90 ..) are forbidden,
# and inside a multi-byte character each one breaks the continuation.
_INVALID_UTF8 = (b"\xff", b"\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80")


@dataclass(frozen=True)
class DataCase:
    """A record's data and what must happen to it."""

    data: bytes
    key: ItemKey | None  # the item it must become; None: it must be rejected
    reason: str | None = None  # the reject reason, when the case breaks exactly one rule
    kind: str = "valid"

    @property
    def valid(self) -> bool:
        return self.key is not None


def contract_key(data: bytes) -> ItemKey | None:
    """The (batch, id) the contract makes of `data`, or None if it must be rejected.

    Written from the contract (record_payload.py's docstring), not from the implementation; used
    only to tell whether arbitrary bytes happen to be a valid record.
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    values = []
    for field, limit in _KEY_LIMITS.items():
        value = document.get(field)
        if not isinstance(value, str) or not value:
            return None
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            return None
        if size > limit:
            return None
        values.append(value)
    return values[0], values[1]


def _exact_size(prefix: str, size: int, pad: str) -> str:
    """`prefix` padded with `pad` characters (then "x") to exactly `size` UTF-8 bytes."""
    text = prefix
    room = size - len(text.encode("utf-8"))
    pad_bytes = len(pad.encode("utf-8"))
    text += pad * (room // pad_bytes)
    return text + "x" * (size - len(text.encode("utf-8")))


@st.composite
def boundary_keys(draw: st.DrawFn, max_bytes: int, strings: st.SearchStrategy[str]) -> str:
    """A key of exactly the limit, or one byte under it, in characters of any width."""
    size = draw(st.sampled_from([max_bytes, max_bytes - 1]))
    prefix = draw(strings)
    if len(prefix.encode("utf-8")) > size // 2:
        prefix = ""
    return _exact_size(prefix, size, draw(st.sampled_from(_WIDE_CHARACTERS)))


def keys(field: str, strings: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values of `batch` or `id`: short fuzz text, a few colliding ones, boundary lengths.

    `strings` must give non-empty text far below the limits (a few characters).
    """
    return st.one_of(
        strings,
        st.sampled_from(["a", "b", "é", "𝄞", " ", "0"]),  # small pool: duplicate keys happen
        boundary_keys(_KEY_LIMITS[field], strings),
    )


JSON_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)


def json_values(strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(JSON_SCALARS, strings),
        lambda children: st.one_of(
            st.lists(children, max_size=2),
            st.dictionaries(strings, children, max_size=2),
        ),
        max_leaves=6,
    )


@st.composite
def documents(draw: st.DrawFn, strings: st.SearchStrategy[str]) -> dict[str, Any]:
    """A valid {batch, id} document, sometimes with extra fields the pipeline must ignore."""
    extra = draw(
        st.dictionaries(
            strings.filter(lambda name: name not in _KEY_LIMITS), json_values(strings), max_size=2
        )
    )
    return {"batch": draw(keys("batch", strings)), "id": draw(keys("id", strings)), **extra}


@st.composite
def encode(draw: st.DrawFn, document: Any) -> bytes:
    """JSON text in the styles producers use: escaped or raw Unicode, compact or indented."""
    text = json.dumps(
        document,
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.sampled_from([None, 2])),
        separators=draw(st.sampled_from([None, (",", ":")])),
    )
    return text.encode("utf-8")


@st.composite
def valid_cases(draw: st.DrawFn, strings: st.SearchStrategy[str]) -> DataCase:
    document = draw(documents(strings))
    return DataCase(draw(encode(document)), (document["batch"], document["id"]))


_MISSING = object()


def _too_long(field: str, strings: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A key 1 to 64 bytes over its DynamoDB limit, in characters of any width."""
    return st.builds(
        lambda prefix, pad, over: _exact_size(prefix[:8], _KEY_LIMITS[field] + over, pad),
        strings,
        st.sampled_from(_WIDE_CHARACTERS),
        st.integers(1, 64),
    )


def _lone_surrogates(strings: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text with a high surrogate at its end or a low one at its start: never part of a pair."""
    return st.builds(
        lambda text, high, at_end: (text + chr(high)) if at_end else (chr(high + 0x400) + text),
        strings,
        st.integers(0xD800, 0xDBFF),
        st.booleans(),
    )


def _broken_values(
    kind: str, field: str, strings: st.SearchStrategy[str]
) -> tuple[st.SearchStrategy[Any], str]:
    """Replacement value breaking one field in the way `kind` names, and the reason it gives."""
    if kind == "missing":
        return st.just(_MISSING), "invalid_field"
    if kind == "wrong_type":
        wrong = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.lists(strings, max_size=2),
            st.dictionaries(strings, strings, max_size=2),
        )
        return wrong, "invalid_field"
    if kind == "empty":
        return st.just(""), "invalid_field"
    if kind == "lone_surrogate":
        return _lone_surrogates(strings), "invalid_field"
    return _too_long(field, strings), "key_too_long"


@st.composite
def near_miss_cases(draw: st.DrawFn, strings: st.SearchStrategy[str]) -> DataCase:
    """A valid record broken in exactly one way, with the reason that way must be given."""
    document = draw(documents(strings))
    kind = draw(
        st.sampled_from(
            [
                "missing",
                "wrong_type",
                "empty",
                "lone_surrogate",
                "too_long",
                "not_an_object",
                "truncated_json",
                "bom",
                "invalid_utf8",
            ]
        )
    )
    if kind == "not_an_object":
        other = draw(
            st.one_of(JSON_SCALARS, st.lists(json_values(strings), max_size=3), st.just([document]))
        )
        return DataCase(draw(encode(other)), None, "not_an_object", kind)
    valid = draw(encode(document))
    if kind == "truncated_json":
        # Cut the text (not the bytes, which could give invalid UTF-8) before its closing brace.
        text = valid.decode("utf-8").rstrip()
        cut = draw(st.integers(0, len(text) - 1))
        return DataCase(text[:cut].encode("utf-8"), None, "invalid_json", kind)
    if kind == "bom":
        return DataCase(b"\xef\xbb\xbf" + valid, None, "invalid_json", kind)
    if kind == "invalid_utf8":
        at = draw(st.integers(0, len(valid)))
        bad = draw(st.sampled_from(_INVALID_UTF8))
        return DataCase(valid[:at] + bad + valid[at:], None, "invalid_utf8", kind)
    field = draw(st.sampled_from(sorted(_KEY_LIMITS)))
    values, reason = _broken_values(kind, field, strings)
    value = draw(values)
    broken = dict(document)
    if value is _MISSING:
        del broken[field]
    else:
        broken[field] = value
    # A lone surrogate cannot be written as raw UTF-8; JSON carries it as a \\ud8xx escape.
    text = json.dumps(broken, ensure_ascii=kind == "lone_surrogate" or draw(st.booleans()))
    return DataCase(text.encode("utf-8"), None, reason, f"{kind}:{field}")


def arbitrary_cases(strings: st.SearchStrategy[str]) -> st.SearchStrategy[DataCase]:
    """Any bytes, and any text, that do not happen to be a valid record (practically all)."""
    raw = st.one_of(
        st.binary(max_size=300),
        strings.map(lambda text: text.encode("utf-8")),
        # Surrogates encoded as if they were characters (CESU-8 style): invalid UTF-8.
        st.text(
            st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
        ).map(lambda text: text.encode("utf-8", "surrogatepass")),
    )
    return raw.filter(lambda data: contract_key(data) is None).map(
        lambda data: DataCase(data, None, None, "arbitrary")
    )


@st.composite
def oversized_cases(draw: st.DrawFn) -> DataCase:
    """Invalid data larger than one SQS message: its rejection must be marked data_truncated."""
    size = draw(st.integers(190 * 1024, 400 * 1024))
    seed = draw(st.integers(0, 2**32 - 1))
    data = b"\xff" + random.Random(seed).randbytes(size)  # reproducible from the seed
    return DataCase(data, None, "invalid_utf8", "oversized")


DUPLICATE = "duplicate"


@st.composite
def batches(
    draw: st.DrawFn,
    strings: st.SearchStrategy[str] | None = None,
    max_size: int = 30,
    oversized: bool = True,
) -> list[DataCase]:
    """A batch mixing valid records, near misses, arbitrary bytes and exact duplicates."""
    strings = strings if strings is not None else st.text(min_size=1, max_size=12)
    kinds: list[st.SearchStrategy[DataCase | str]] = [
        valid_cases(strings),
        valid_cases(strings),
        near_miss_cases(strings),
        arbitrary_cases(strings),
        st.just(DUPLICATE),
    ]
    # The size first, so batches of every size up to the maximum are common (a plain lists()
    # strategy mostly draws short ones).
    size = draw(st.integers(1, max_size))
    drawn = draw(st.lists(st.one_of(kinds), min_size=size, max_size=size))
    if oversized and draw(st.integers(0, 9)) == 0:
        drawn.insert(draw(st.integers(0, len(drawn))), draw(oversized_cases()))
    cases: list[DataCase] = []
    for entry in drawn:
        if isinstance(entry, DataCase):
            cases.append(entry)
            continue
        earlier_valid = [case for case in cases if case.valid]
        if earlier_valid:
            original = draw(st.sampled_from(earlier_valid))
            cases.append(DataCase(original.data, original.key, None, DUPLICATE))
    return cases or [draw(valid_cases(strings))]


def kinesis_event(cases: list[DataCase]) -> dict[str, Any]:
    """The Kinesis event Lambda delivers for these records, in sequence order."""
    return {
        "Records": [
            kinesis_record(index, case.data, partition_key=f"fuzz-{index}")
            for index, case in enumerate(cases)
        ]
    }


def sequence_number(record: dict[str, Any]) -> str:
    number: str = record["kinesis"]["sequenceNumber"]
    return number


def secret_strings(marker: str) -> st.SearchStrategy[str]:
    """Fuzz text that always carries `marker`, so any leak of it is visible in the logs."""
    return st.builds(
        lambda before, tail: f"{before}{marker}{tail}",
        st.text(max_size=4),
        st.text(alphabet="0123456789abcdef", min_size=4, max_size=8),
    )

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

from events.record_stream.generate_events import kinesis_record
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


def _not_json(token: str) -> Any:
    raise ValueError(token)


def contract_key(data: bytes) -> ItemKey | None:
    """The (batch, id) the contract makes of `data`, or None if it must be rejected.

    Written from the contract (record_payload.py's docstring), not from the implementation; used
    only to tell whether arbitrary bytes happen to be a valid record.
    """
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # Not UTF-8, not JSON, more digits than int() takes, deeper than the parser goes, or
        # NaN/Infinity (which Python reads but JSON does not have).
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


# JSON's own values: json.dumps writes NaN and infinities as tokens JSON does not have (they are
# generated on purpose, as invalid data, by parser_edge_cases).
JSON_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
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
            st.floats(allow_nan=False, allow_infinity=False),
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


# The parser's edges (issue #12): what Python's json refuses (more than 4300 digits, nesting past
# its recursion limit: ~10,000 levels on 3.12+, 1,000 on 3.11), what it reads although JSON has
# no such token, and what it reads that is JSON but odd (duplicate names, lone surrogate escapes).
INT_MAX_DIGITS = 4300
_NON_FINITE = ("NaN", "Infinity", "-Infinity")


def _with_raw_field(text: str, name: str, raw: str) -> str:
    """JSON object text with one more member whose value is `raw` text, JSON or not."""
    return text.rstrip()[:-1] + f",{json.dumps(name)}:{raw}}}"


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


@st.composite
def parser_edge_cases(draw: st.DrawFn, strings: st.SearchStrategy[str]) -> DataCase:
    """A record at one of the JSON parser's edges, valid or not, with the outcome it must have."""
    document = draw(documents(strings))
    text = draw(encode(document)).decode("utf-8")
    key = (document["batch"], document["id"])
    name = draw(strings.filter(lambda name: name not in _KEY_LIMITS))
    kind = draw(
        st.sampled_from(
            [
                "huge_integer",
                "integer_at_digit_limit",
                "too_deep",
                "deep_within_limit",
                "non_finite",
                "duplicate_name",
                "lone_surrogate_ignored",
                "huge_ignored_string",
                "huge_key",
                "raw_surrogate_bytes",
            ]
        )
    )
    if kind == "huge_integer":
        digits = draw(st.integers(INT_MAX_DIGITS + 1, 20_000))
        raw = draw(st.sampled_from(["", "-"])) + "9" * digits
        if draw(st.booleans()):  # as the value of a key field: the parser refuses it first
            field = draw(st.sampled_from(sorted(_KEY_LIMITS)))
            return DataCase(_key_as_raw(document, field, raw), None, "invalid_json", kind)
        return DataCase(_with_raw_field(text, name, raw).encode(), None, "invalid_json", kind)
    if kind == "integer_at_digit_limit":
        raw = "7" * draw(st.integers(INT_MAX_DIGITS - 5, INT_MAX_DIGITS))
        return DataCase(_with_raw_field(text, name, raw).encode(), key, None, kind)
    if kind == "too_deep":
        depth = draw(st.integers(20_000, 60_000))
        leaf = draw(st.sampled_from(["1", "{}", '"x"']))
        raw = _nested(depth, leaf) if draw(st.booleans()) else '{"a":' * depth + "1" + "}" * depth
        return DataCase(_with_raw_field(text, name, raw).encode(), None, "invalid_json", kind)
    if kind == "deep_within_limit":
        raw = _nested(draw(st.integers(1, 500)))
        return DataCase(_with_raw_field(text, name, raw).encode(), key, None, kind)
    if kind == "non_finite":
        token = draw(st.sampled_from(_NON_FINITE))
        if draw(st.booleans()):
            field = draw(st.sampled_from(sorted(_KEY_LIMITS)))
            return DataCase(_key_as_raw(document, field, token), None, "invalid_json", kind)
        raw = draw(st.sampled_from([token, f"[{token}]", f'{{"v":{token}}}']))
        return DataCase(_with_raw_field(text, name, raw).encode(), None, "invalid_json", kind)
    if kind == "duplicate_name":
        # An earlier value of a key field, valid or not, is shadowed: the last one wins.
        field = draw(st.sampled_from(sorted(_KEY_LIMITS)))
        shadowed = draw(st.one_of(JSON_SCALARS, strings))
        body = text.lstrip()[1:]
        return DataCase(
            f"{{{json.dumps(field)}:{json.dumps(shadowed)},{body}".encode(), key, None, kind
        )
    if kind == "lone_surrogate_ignored":
        # Only the key is stored, so a lone surrogate elsewhere does no harm.
        raw = json.dumps(draw(_lone_surrogates(strings)))
        return DataCase(_with_raw_field(text, name, raw).encode(), key, None, kind)
    if kind == "huge_ignored_string":
        raw = json.dumps("s" * draw(st.integers(100_000, 300_000)))
        return DataCase(_with_raw_field(text, name, raw).encode(), key, None, kind)
    if kind == "huge_key":
        field = draw(st.sampled_from(sorted(_KEY_LIMITS)))
        broken = {**document, field: "k" * draw(st.integers(50_000, 300_000))}
        return DataCase(json.dumps(broken).encode(), None, "key_too_long", f"{kind}:{field}")
    # A surrogate written as raw bytes (ED A0 80..ED BF BF) inside a key: not UTF-8.
    field = draw(st.sampled_from(sorted(_KEY_LIMITS)))
    surrogate = chr(draw(st.integers(0xD800, 0xDFFF))).encode("utf-8", "surrogatepass")
    raw = json.dumps(document[field], ensure_ascii=False).encode()[:-1] + surrogate + b'"'
    return DataCase(_key_as_raw(document, field, raw), None, "invalid_utf8", f"{kind}:{field}")


_PLACEHOLDER = "\x00placeholder\x00"


def _key_as_raw(document: dict[str, Any], field: str, raw: str | bytes) -> bytes:
    """The document's JSON with a key field's value replaced by raw text (JSON or not)."""
    text = json.dumps({**document, field: _PLACEHOLDER}).encode()
    value = raw.encode() if isinstance(raw, str) else raw
    return text.replace(json.dumps(_PLACEHOLDER).encode(), value, 1)


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
        parser_edge_cases(strings),
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

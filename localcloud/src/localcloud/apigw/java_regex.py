"""JSON-schema `pattern`s read as API Gateway's request validator reads them: java.util.regex.

API Gateway's validator is Java; its patterns are `Pattern.compile(p).matcher(s).find()`. Where
that differs from Python's `re` on patterns a model is likely to hold, the pattern is rewritten
before Python compiles it:

- `$` (and `\\Z`) matches at the end of the input or before a line terminator that ends it:
  `\\n`, `\\r\\n`, `\\r`, U+0085, U+2028 or U+2029 (never between the `\\r` and `\\n` of a pair).
  Python's `$` only skips a final `\\n`, so `^[a-z]+$` accepts "abc\\n" in both but "abc\\r" or
  "abc\\u2028" only in Java. `\\z` is Java's absolute end (Python's `\\Z`).
- `.` excludes every one of those line terminators, not only `\\n`.
- `\\d`, `\\w`, `\\s` and `\\b` are ASCII-only, as in Java without UNICODE_CHARACTER_CLASS
  (re.ASCII gives exactly Java's sets).
- `\\Q...\\E` quotes literally.

Character classes and escapes are copied as they are. Java-only syntax beyond this (nested or
intersected classes, `\\p{...}` properties, `\\h`, `\\R`) is not translated: Python reads it its own
way or refuses it. Both engines see a string as code points, so a class like `[^\\uD800-\\uDFFF]`
matches an unpaired surrogate and never half of a pair in either.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Java's `$` without MULTILINE: Pattern.Dollar.
_END_OR_BEFORE_FINAL_TERMINATOR = r"(?:\Z|(?=\r\n\Z)|(?=[\r\u0085\u2028\u2029]\Z)|(?<!\r)(?=\n\Z))"
_ANY_BUT_LINE_TERMINATOR = r"[^\n\r\u0085\u2028\u2029]"
_OUTSIDE_CLASSES = {
    "$": _END_OR_BEFORE_FINAL_TERMINATOR,
    ".": _ANY_BUT_LINE_TERMINATOR,
}
_ESCAPES_OUTSIDE_CLASSES = {
    r"\Z": _END_OR_BEFORE_FINAL_TERMINATOR,
    r"\z": r"\Z",
}


def to_python(pattern: str) -> str:
    """The Python `re` source that matches what `pattern` matches in java.util.regex."""
    out: list[str] = []
    in_class = False
    class_start = 0  # index of the "[" that opened the class
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and pattern.startswith(r"\Q", i):
            end = pattern.find(r"\E", i + 2)
            end = len(pattern) if end < 0 else end
            out.append(re.escape(pattern[i + 2 : end]))
            i = end + 2
            continue
        if char == "\\":
            escape = pattern[i : i + 2]
            out.append(escape if in_class else _ESCAPES_OUTSIDE_CLASSES.get(escape, escape))
            i += 2
            continue
        if in_class:
            # A "]" first in a class ("[]a]", "[^]a]") is a literal in both engines.
            first = class_start + (2 if pattern.startswith("[^", class_start) else 1)
            if char == "]" and i != first:
                in_class = False
            out.append(char)
        elif char == "[":
            in_class, class_start = True, i
            out.append(char)
        else:
            out.append(_OUTSIDE_CLASSES.get(char, char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_java(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled to behave as java.util.regex does (raises re.error if Python cannot)."""
    return re.compile(to_python(pattern), re.ASCII)


def java_find(pattern: str, text: str) -> bool:
    """`Pattern.compile(pattern).matcher(text).find()`: JSON Schema's unanchored `pattern` test."""
    return compile_java(pattern).search(text) is not None

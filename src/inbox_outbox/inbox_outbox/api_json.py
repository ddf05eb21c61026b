"""JSON text read the way API Gateway's request validator reads a POST /inbox body.

A body the API answered 200 for must pass the function's own validation, so both must parse JSON
alike. pydantic's parser (jiter, behind ``Json[...]``) does not: it refuses an escaped lone
surrogate (``"\\ud800"``) anywhere in the text and nesting past 200 levels, and reads
``NaN``/``Infinity``, even inside a value that a later duplicate name overrides. API Gateway's
Java parser keeps lone surrogates, allows deep nesting, refuses those constants and lets the last
duplicate name win. Python's ``json`` does the same once the constants are refused; the schema's
pattern still refuses a lone surrogate in a value that is kept.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import PydanticCustomError


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name!r} is not valid JSON")


def read_api_json(value: object) -> object:
    """The document of a JSON text; any other value passes through to the model's own checks.

    Raises a ``json_invalid`` validation error, as ``Json[...]`` did, for text that is not JSON:
    malformed, a non-finite constant, an integer over Python's 4,300 digits, nesting past its
    recursion limit. The error never quotes the text (it is a message body).
    """
    if not isinstance(value, str):  # an SQS body is text
        return value
    try:
        return json.loads(value, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise PydanticCustomError(
            "json_invalid", "Invalid JSON: {reason}", {"reason": str(error)}
        ) from None

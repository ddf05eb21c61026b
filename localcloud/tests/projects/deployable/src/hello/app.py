"""Answers which code version runs, with the word its layer gives (the tests rewrite both)."""

from __future__ import annotations

import json
from typing import Any

from words import WORD

VERSION = "v1"


def handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps({"version": VERSION, "word": WORD})}

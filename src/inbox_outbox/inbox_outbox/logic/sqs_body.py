"""An output-queue body SQS accepts whatever the message holds.

SQS refuses a body with any character outside XML's set (``#x9 | #xA | #xD | #x20-#xD7FF |
#xE000-#xFFFD | #x10000-#x10FFFF``) with ``InvalidMessageContents``, on every retry. A message
can hold such characters and still be valid: ``"\\uffff"`` in the POST /inbox JSON is six ASCII
characters to SQS, and U+FFFF once parsed. The JSON text of the body can carry them as ``\\uXXXX``
escapes instead, which every JSON reader decodes back to the same string.
"""

from __future__ import annotations

import re

from inbox_outbox.models import OutboxMessage

# Outside JSON strings a serializer writes ASCII only, so every match is inside a string, where an
# escape is valid JSON.
_NOT_IN_SQS_SET = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def outbox_body(message: OutboxMessage) -> str:
    """The message's JSON, with the characters SQS refuses escaped."""
    return _NOT_IN_SQS_SET.sub(_escape, message.model_dump_json())

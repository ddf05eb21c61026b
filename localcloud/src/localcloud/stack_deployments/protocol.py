"""CloudFormation's query protocol for the operations the local cloud answers itself: the form
fields of a request (``Parameters.member.1.ParameterKey=...``) in, XML answers and errors out,
as botocore and the AWS CLI parse them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
API_VERSION = "2010-05-15"
Reply = tuple[str, list[tuple[str, str]], bytes]


@dataclass(frozen=True)
class QueryRequest:
    fields: dict[str, str]

    @classmethod
    def parse(cls, body: bytes) -> QueryRequest:
        parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return cls({key: values[-1] for key, values in parsed.items()})

    @property
    def action(self) -> str:
        return self.fields.get("Action", "")

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    def flag(self, name: str) -> bool:
        return self.fields.get(name, "").lower() == "true"

    def members(self, name: str) -> list[dict[str, str]]:
        """``Name.member.N.Field`` -> one dict per N, in order."""
        found: dict[int, dict[str, str]] = {}
        prefix = f"{name}.member."
        for key, value in self.fields.items():
            if key.startswith(prefix):
                number, _, field = key[len(prefix) :].partition(".")
                if number.isdigit() and field:
                    found.setdefault(int(number), {})[field] = value
        return [found[n] for n in sorted(found)]

    def values(self, name: str) -> list[str]:
        """``Name.member.N`` -> the values, in order."""
        prefix = f"{name}.member."
        numbered = {
            int(key[len(prefix) :]): value
            for key, value in self.fields.items()
            if key.startswith(prefix) and key[len(prefix) :].isdigit()
        }
        return [numbered[n] for n in sorted(numbered)]


class QueryError(Exception):
    """An error answer: ``code`` as CloudFormation names it, the HTTP status it comes with."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _xml(value: Any) -> str:
    if isinstance(value, Mapping):
        return "".join(f"<{k}>{_xml(v)}</{k}>" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return "".join(f"<member>{_xml(item)}</member>" for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return escape(str(value))


def _reply(status: str, body: str) -> Reply:
    data = body.encode()
    headers = [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))]
    return status, headers, data


def result(action: str, fields: Mapping[str, Any]) -> Reply:
    request_id = uuid.uuid4()
    return _reply(
        "200 OK",
        f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{_xml(fields)}</{action}Result>'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{action}Response>",
    )


_REASONS = {400: "Bad Request", 404: "Not Found"}


def error(failure: QueryError) -> Reply:
    request_id = uuid.uuid4()
    return _reply(
        f"{failure.status} {_REASONS.get(failure.status, 'Error')}",
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type>'
        f"<Code>{escape(failure.code)}</Code><Message>{escape(failure.message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>",
    )

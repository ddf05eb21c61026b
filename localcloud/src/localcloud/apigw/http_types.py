"""The values the API front passes around: one incoming HTTP request and one response.

Kept free of any server library so the gateway logic is testable without sockets. Headers keep
the case and order they arrived in, because the proxy event shows them as the client sent them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    raw_path: str  # as on the wire: percent-encoded, without the query
    raw_query: str  # as on the wire, without "?"
    headers: tuple[tuple[str, str], ...]  # in arrival order, names as sent
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def raw_target(self) -> str:
        return f"{self.raw_path}?{self.raw_query}" if self.raw_query else self.raw_path

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), as API Gateway's single-value view."""
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def query_pairs(self) -> list[tuple[str, str]]:
        """Decoded query parameters in order; ``+`` is a space, as API Gateway decodes them."""
        pairs: list[tuple[str, str]] = []
        for part in self.raw_query.split("&"):
            if not part:
                continue
            key, _, value = part.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
        return pairs

    @property
    def path(self) -> str:
        return unquote(self.raw_path)


@dataclass
class ApiResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(
        cls, status: int, document: Any, headers: list[tuple[str, str]] | None = None
    ) -> ApiResponse:
        return cls(
            status,
            [("Content-Type", "application/json"), *(headers or [])],
            json.dumps(document).encode(),
        )

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        found = [value for key, value in self.headers if key.lower() == wanted]
        return found[-1] if found else None


def media_type(content_type: str | None) -> str | None:
    """``application/json; charset=utf-8`` -> ``application/json`` (lower case)."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None

"""API Gateway mapping templates: Velocity (airspeed-ext, as LocalStack uses) plus the variables.

``$input``: ``body``, ``json(path)``, ``path(path)``, ``params()`` / ``params(name)``.
``$util``: ``escapeJavaScript``, ``urlEncode``, ``urlDecode``, ``base64Encode``, ``base64Decode``,
``parseJson``. ``$context`` and ``$stageVariables`` are plain maps.

Semantics follow the Java runtime API Gateway uses: ``urlEncode`` is ``java.net.URLEncoder``
(space -> ``+``, ``*`` kept, ``~`` encoded), ``escapeJavaScript`` is commons-lang's (escapes ``'``,
``"``, ``/``, ``\\`` and every non-ASCII UTF-16 unit as ``\\uXXXX``), maps print as ``{k=v}``.
JSONPath results: one match -> the value, several -> a list, none -> null.

Integration response templates (``render_response``) may also set
``$context.responseOverride.status`` and ``$context.responseOverride.header.<name>``, which
API Gateway applies to the method response instead of the selected integration response's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed
from jsonpath_ng.jsonpath import JSONPath
from jsonpath_ng.parser import parse as parse_jsonpath

_JS_ESCAPES = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/"}
_CONTROL_ESCAPES = {"\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r"}


class TemplateError(Exception):
    """A mapping template that does not parse or fails while rendering (a configuration error)."""


def _java_string(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class VtlMap(dict[str, Any]):
    """A JSON object seen from a template: Java ``Map`` methods, printed as ``{k=v, ...}``."""

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}={_java_string(v)}" for k, v in self.items()) + "}"

    def keySet(self) -> list[str]:
        return list(self.keys())

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def containsKey(self, key: str) -> bool:
        return key in self

    def put(self, key: str, value: Any) -> Any:
        previous = self.get(key)
        self[key] = value
        return previous


class VtlList(list[Any]):
    """A JSON array seen from a template: Java ``List`` methods, printed as JSON."""

    def __str__(self) -> str:
        return json.dumps(self, separators=(",", ":"), ensure_ascii=False)

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def contains(self, value: Any) -> bool:
        return value in self


def to_vtl(value: Any) -> Any:
    """JSON-like data -> the objects templates see (maps and lists with Java methods)."""
    if isinstance(value, Mapping):
        return VtlMap({str(k): to_vtl(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return VtlList(to_vtl(v) for v in value)
    return value


def escape_javascript(value: Any) -> str:
    """commons-lang ``StringEscapeUtils.escapeJavaScript``, which API Gateway's ``$util`` uses."""
    if value is None:
        return ""
    text = _java_string(value)
    out: list[str] = []
    # Java strings are UTF-16: characters beyond the BMP escape as two surrogate units.
    units = text.encode("utf-16-be", "surrogatepass")
    for index in range(0, len(units), 2):
        unit = int.from_bytes(units[index : index + 2], "big")
        char = chr(unit)
        if unit > 0x7F or (unit < 0x20 and char not in _CONTROL_ESCAPES):
            out.append(f"\\u{unit:04X}")
        elif char in _CONTROL_ESCAPES:
            out.append(_CONTROL_ESCAPES[char])
        else:
            out.append(_JS_ESCAPES.get(char, char))
    return "".join(out)


class VtlUtil:
    """``$util``."""

    def escapeJavaScript(self, value: Any) -> str:
        return escape_javascript(value)

    def urlEncode(self, value: Any) -> str:
        # java.net.URLEncoder: like quote_plus, but keeps "*" and encodes "~".
        return quote_plus(_java_string(value), safe="*").replace("~", "%7E")

    def urlDecode(self, value: Any) -> str:
        return unquote_plus(_java_string(value))

    def base64Encode(self, value: Any) -> str:
        return base64.b64encode(_java_string(value).encode()).decode()

    def base64Decode(self, value: Any) -> str:
        return base64.b64decode(_java_string(value)).decode("utf-8", errors="replace")

    def parseJson(self, value: Any) -> Any:
        return to_vtl(json.loads(_java_string(value)))


@lru_cache(maxsize=256)
def _jsonpath(expression: str) -> JSONPath:
    return parse_jsonpath(expression)


def _select(document: Any, expression: str) -> Any:
    matches = [match.value for match in _jsonpath(expression or "$").find(document)]
    if not matches:
        return None
    return matches[0] if len(matches) == 1 else matches


class VtlInput:
    """``$input``: the payload and the request parameters."""

    def __init__(self, body: str, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = body
        self._params = VtlMap(
            {kind: VtlMap(params.get(kind, {})) for kind in ("path", "querystring", "header")}
        )
        self._document: Any = None
        self._parsed = False

    def _json(self) -> Any:
        if not self._parsed:
            self._parsed = True
            try:
                self._document = json.loads(self.body) if self.body.strip() else {}
            except (ValueError, RecursionError):
                self._document = None
        return self._document

    def path(self, expression: str) -> Any:
        return to_vtl(_select(self._json(), expression))

    def json(self, expression: str = "$") -> str:
        # Compact, as the Java JSON serializer API Gateway uses writes it.
        return json.dumps(
            _select(self._json(), expression), ensure_ascii=False, separators=(",", ":")
        )

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for kind in ("path", "querystring", "header"):
            found = self._params[kind].get(name)
            if found is not None:
                return found
        return ""


@lru_cache(maxsize=256)
def _compiled(template: str) -> airspeed.Template:
    compiled = airspeed.Template(template)
    try:
        compiled.ensure_compiled()
    except airspeed.TemplateSyntaxError as error:
        raise TemplateError(f"mapping template does not parse: {error}") from error
    return compiled


def render(
    template: str,
    *,
    input_: VtlInput | None = None,
    context: Mapping[str, Any] | None = None,
    stage_variables: Mapping[str, str] | None = None,
) -> str:
    return _merge(template, input_, to_vtl(context or {}), stage_variables)


@dataclass(frozen=True)
class ResponseOverride:
    """What a response template set in ``$context.responseOverride``."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def render_response(
    template: str,
    *,
    input_: VtlInput,
    context: Mapping[str, Any] | None = None,
    stage_variables: Mapping[str, str] | None = None,
) -> tuple[str, ResponseOverride]:
    """An integration response template: the body and the overrides it set.

    A status that is not a number from 100 to 599 is treated as a template error (a 500): the
    client never gets a status line that does not exist.
    """
    namespace_context = to_vtl(context or {})
    override = VtlMap({"header": VtlMap()})
    namespace_context["responseOverride"] = override
    body = _merge(template, input_, namespace_context, stage_variables)
    status: int | None = None
    raw_status = override.get("status")
    if raw_status is not None and str(raw_status).strip():
        try:
            status = int(str(raw_status).strip())
        except ValueError:
            raise TemplateError(
                f"responseOverride.status is not a number: {raw_status!r}"
            ) from None
        if not 100 <= status <= 599:
            raise TemplateError(f"responseOverride.status out of range: {status}")
    raw_headers = override.get("header")
    headers = (
        {str(name): _java_string(value) for name, value in raw_headers.items()}
        if isinstance(raw_headers, Mapping)
        else {}
    )
    return body, ResponseOverride(status, headers)


def _merge(
    template: str,
    input_: VtlInput | None,
    context: VtlMap,
    stage_variables: Mapping[str, str] | None,
) -> str:
    namespace: dict[str, Any] = {
        "util": VtlUtil(),
        "context": context,
        "stageVariables": VtlMap(stage_variables or {}),
    }
    if input_ is not None:
        namespace["input"] = input_
    try:
        return str(_compiled(template).merge(namespace))
    except TemplateError:
        raise
    except Exception as error:  # airspeed raises a zoo of types while evaluating
        raise TemplateError(f"mapping template failed: {error}") from error

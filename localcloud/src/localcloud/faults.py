"""Fault injection: AWS API calls that fail, throttle, drop items or hang, on purpose.

The moto server's WSGI stack runs every request through ``FaultMiddleware``. A ``FaultRule``
names a service and operation (``dynamodb``/``BatchWriteItem``, ``sqs``/``SendMessage``) and what
to do with a share of the matching requests:

- ``unprocessed``: DynamoDB ``BatchWriteItem`` forwards only part of the items to moto and answers
  the rest in ``UnprocessedItems`` (all of them when none is left to forward); SQS
  ``SendMessageBatch`` likewise answers part of the entries in ``Failed``. When ``match`` occurs in
  some items/entries, exactly those are held back (a poison key); otherwise a random
  ``fraction`` (at least one);
- ``throttle``: HTTP 400 ``ProvisionedThroughputExceededException`` (DynamoDB; ``code`` may say
  ``ThrottlingException``) or ``RequestThrottled`` (SQS), shaped as the service sends it;
- ``error``: HTTP 500 ``InternalServerError`` (DynamoDB) / ``InternalFailure`` (others), or any
  ``status``/``code``/``message`` the rule gives;
- ``delay``: sleep ``seconds``, then forward (a slow dependency; longer than a function's timeout,
  it makes the invoke time out).

Errors are written in the protocol of the request: JSON (``X-Amz-Target``; boto3 talks JSON to
DynamoDB and, since 2023, to SQS, with the ``x-amzn-query-error`` header SQS adds for
query-compatible clients) or query (``Action=...`` form or query string, XML answer; the API
front's SQS integration uses it).

Which requests: by default only those a *function* makes (``source="functions"``): the worker's
boto3 puts ``exec-env/AWS_Lambda_python3.x`` (from ``AWS_EXECUTION_ENV``) in its User-Agent, and
nothing else does - not the event source pollers, the API front or a test's own client. So a
scenario's reads never fail. ``source="api"`` targets the API front's integration calls instead
(they carry ``User-Agent: AmazonAPIGateway_{api id}``, as API Gateway's do): a throttled, failing
or missing queue behind ``POST /inbox``. ``source="any"`` targets every caller. ``match`` narrows
a rule to requests whose body contains a substring (a queue URL, a key); ``max_hits`` bounds how
often it fires.

Randomness comes from one ``random.Random(seed)`` per registry: a given seed gives the same
sequence of decisions (which request gets which decision still depends on thread scheduling).

Rules are set at start (``CloudOptions.faults``, CLI ``--fault``) and at runtime on the server:
``GET /_localcloud/faults`` lists them with hit counters, ``POST`` adds (one rule, a list, or
``{"rules": [...], "seed": N}``), ``DELETE`` clears (``?id=N``: one rule).

"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from localcloud.moto_serial import signing_service
from localcloud.wsgi import StartResponse, WsgiApp

log = logging.getLogger(__name__)

FaultKind = Literal["unprocessed", "throttle", "error", "delay"]
FaultSource = Literal["functions", "api", "any"]
KINDS: tuple[str, ...] = ("unprocessed", "throttle", "error", "delay")
SOURCES: tuple[str, ...] = ("functions", "api", "any")

CONTROL_PATH = "/_localcloud/faults"
# botocore's User-Agent carries AWS_EXECUTION_ENV as exec-env/...; only workers set it.
FUNCTION_USER_AGENT_MARK = "exec-env/AWS_Lambda_"
# The API front's integration calls, like API Gateway's, say User-Agent: AmazonAPIGateway_{api id}.
API_USER_AGENT_MARK = "AmazonAPIGateway_"


class FaultRuleError(ValueError):
    """A rule that cannot be applied (unknown kind, probability out of range...)."""


@dataclass(frozen=True)
class FaultRule:
    service: str  # signing name, as in the credential scope: dynamodb, sqs, kinesis...
    operation: str  # BatchWriteItem, SendMessage...; "*" for any
    kind: FaultKind
    probability: float = 1.0
    seconds: float = 0.0  # delay only
    match: str | None = None  # substring of the request body
    max_hits: int | None = None  # stop firing after this many hits
    source: FaultSource = "functions"
    fraction: float = 0.5  # unprocessed without match: share of items held back (at least one)
    status: int | None = None  # error/throttle overrides
    code: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultRuleError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.source not in SOURCES:
            raise FaultRuleError(f"source must be one of {SOURCES}, got {self.source!r}")
        if not 0.0 <= self.probability <= 1.0 or not 0.0 < self.fraction <= 1.0:
            raise FaultRuleError("probability must be in [0, 1] and fraction in (0, 1]")
        if self.kind == "delay" and self.seconds <= 0:
            raise FaultRuleError("a delay needs seconds > 0")
        if self.kind == "unprocessed" and self.operation not in UNPROCESSED_OPERATIONS:
            raise FaultRuleError(
                f"unprocessed applies to {sorted(UNPROCESSED_OPERATIONS)}, not {self.operation}"
            )

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> FaultRule:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(document) - names
        if unknown:
            raise FaultRuleError(f"unknown fault rule fields: {sorted(unknown)}")
        try:
            return cls(**dict(document))
        except TypeError as error:
            raise FaultRuleError(str(error)) from None

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        """A JSON object, or ``service:Operation:kind[:probability[:seconds]]``."""
        text = text.strip()
        if text.startswith("{"):
            return cls.from_dict(json.loads(text))
        parts = text.split(":")
        if not 3 <= len(parts) <= 5:
            raise FaultRuleError(
                f"expected service:Operation:kind[:probability[:seconds]] or JSON, got {text!r}"
            )
        values: dict[str, Any] = {"service": parts[0], "operation": parts[1], "kind": parts[2]}
        if len(parts) > 3:
            values["probability"] = float(parts[3])
        if len(parts) > 4:
            values["seconds"] = float(parts[4])
        return cls.from_dict(values)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


UNPROCESSED_OPERATIONS = frozenset({"BatchWriteItem", "SendMessageBatch"})


@dataclass
class RuleState:
    """A rule with its counters: requests it matched (``seen``) and faults it injected."""

    id: int
    rule: FaultRule
    seen: int = 0
    hits: int = 0
    first_hit_ms: int | None = None
    last_hit_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.rule.as_dict(),
            "seen": self.seen,
            "hits": self.hits,
            "first_hit_ms": self.first_hit_ms,
            "last_hit_ms": self.last_hit_ms,
        }


@dataclass(frozen=True)
class AwsCall:
    """What a rule needs to know about one request."""

    service: str
    operation: str
    protocol: Literal["json", "query", "other"]
    body: bytes
    from_function: bool
    from_api: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class FaultRegistry:
    """The rules in force, their counters and the seeded random source; thread-safe."""

    seed: int | None = None
    _states: list[RuleState] = field(default_factory=list)
    _ids: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible, not secret

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.seed = seed
            self._random = random.Random(seed)  # noqa: S311 - reproducible, not secret

    def add(self, rule: FaultRule) -> int:
        with self._lock:
            self._ids += 1
            self._states.append(RuleState(self._ids, rule))
            return self._ids

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._states)
            self._states = [s for s in self._states if s.id != rule_id]
            return len(self._states) < before

    def clear(self) -> None:
        with self._lock:
            self._states = []

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [state.as_dict() for state in self._states]

    @property
    def active(self) -> bool:
        return bool(self._states)

    def services(self) -> set[str]:
        with self._lock:
            return {state.rule.service for state in self._states}

    def decide(self, call: AwsCall) -> tuple[FaultRule, random.Random] | None:
        """The first rule that matches and fires for this call, counting it; None: no fault."""
        with self._lock:
            for state in self._states:
                rule = state.rule
                if not _matches(rule, call):
                    continue
                if rule.max_hits is not None and state.hits >= rule.max_hits:
                    continue
                state.seen += 1
                if self._random.random() >= rule.probability:
                    continue
                state.hits += 1
                now_ms = time.time_ns() // 1_000_000
                state.first_hit_ms = state.first_hit_ms or now_ms
                state.last_hit_ms = now_ms
                # A private generator per fault, drawn from the seeded one: item choices of
                # concurrent requests do not interleave.
                return rule, random.Random(self._random.getrandbits(64))  # noqa: S311
        return None


def _matches(rule: FaultRule, call: AwsCall) -> bool:
    if rule.service != call.service:
        return False
    if rule.operation not in ("*", call.operation):
        return False
    if rule.source == "functions" and not call.from_function:
        return False
    if rule.source == "api" and not call.from_api:
        return False
    return rule.match is None or rule.match in call.text


# ---------------------------------------------------------------- error documents


_JSON_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "sqs": "com.amazonaws.sqs",
}
# (status, code, message) by service and kind, as the services send them.
_DEFAULT_ERRORS: dict[tuple[str, str], tuple[int, str, str]] = {
    ("dynamodb", "throttle"): (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    ("dynamodb", "error"): (500, "InternalServerError", "Internal server error"),
    ("sqs", "throttle"): (400, "RequestThrottled", "Request is throttled."),
    ("*", "throttle"): (400, "ThrottlingException", "Rate exceeded"),
    ("*", "error"): (
        500,
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
}
_CODE_NAMESPACES = {
    "ThrottlingException": "com.amazon.coral.availability",
    "InternalFailure": "com.amazon.coral.service",
}
_STATUS_TEXT = {
    400: "Bad Request",
    403: "Forbidden",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_response(rule: FaultRule, call: AwsCall) -> tuple[str, list[tuple[str, str]], bytes]:
    status, code, message = _DEFAULT_ERRORS.get(
        (call.service, rule.kind), _DEFAULT_ERRORS[("*", rule.kind)]
    )
    status, code, message = rule.status or status, rule.code or code, rule.message or message
    if rule.code == "ThrottlingException" and rule.message is None:
        message = "Rate of requests exceeds the allowed throughput."
    request_id = str(uuid.uuid4())
    status_line = f"{status} {_STATUS_TEXT.get(status, 'Error')}"
    fault = "Sender" if status < 500 else "Receiver"
    if call.protocol == "query":
        body = (
            '<?xml version="1.0"?><ErrorResponse><Error>'
            f"<Type>{fault}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<Detail/></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return status_line, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    namespace = _CODE_NAMESPACES.get(code) or _JSON_NAMESPACES.get(
        call.service, "com.amazon.coral.service"
    )
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", request_id),
    ]
    if call.service == "sqs":
        # SQS's JSON protocol is query-compatible: clients read the query error code from here.
        headers.append(("x-amzn-query-error", f"{code};{fault}"))
    body = json.dumps({"__type": f"{namespace}#{code}", "message": message}).encode()
    return status_line, headers, body


# ---------------------------------------------------------------- partial answers


def _hold_back(
    entries: list[Any], rule: FaultRule, rng: random.Random, render: Callable[[Any], str]
) -> list[bool]:
    """Which entries to answer as unprocessed/failed: those containing ``match`` if any does
    (a poison key), else a random ``fraction`` of them (at least one)."""
    if rule.match is not None:
        named = [rule.match in render(entry) for entry in entries]
        if any(named):
            return named
    held = [rng.random() < rule.fraction for _ in entries]
    if entries and not any(held):
        held[rng.randrange(len(entries))] = True
    return held


def _split_batch_write(
    document: dict[str, Any], rule: FaultRule, rng: random.Random
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """RequestItems -> (forwarded, unprocessed), both by table."""
    forwarded: dict[str, list[Any]] = {}
    unprocessed: dict[str, list[Any]] = {}
    for table, requests in (document.get("RequestItems") or {}).items():
        held = _hold_back(list(requests), rule, rng, json.dumps)
        for request, hold in zip(requests, held, strict=True):
            (unprocessed if hold else forwarded).setdefault(table, []).append(request)
    return forwarded, unprocessed


def _split_send_batch(
    document: dict[str, Any], rule: FaultRule, rng: random.Random
) -> tuple[list[Any], list[Any]]:
    entries = list(document.get("Entries") or [])
    held = _hold_back(entries, rule, rng, json.dumps)
    return (
        [e for e, hold in zip(entries, held, strict=True) if not hold],
        [e for e, hold in zip(entries, held, strict=True) if hold],
    )


# ---------------------------------------------------------------- the middleware


def _json_reply(status: str, document: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    body = json.dumps(document).encode()
    return status, [("Content-Type", "application/json")], body


class FaultMiddleware:
    """Applies the registry's rules to AWS calls; serves the control endpoint."""

    def __init__(self, app: WsgiApp, registry: FaultRegistry | None = None) -> None:
        self.app = app
        self.registry = registry or FaultRegistry()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") == CONTROL_PATH:
            return self._respond(start_response, self._control(environ))
        call = self._describe(environ) if self.registry.active else None
        decision = self.registry.decide(call) if call is not None else None
        if call is None or decision is None:
            return self.app(environ, start_response)
        rule, rng = decision
        log.info("fault %s on %s %s", rule.kind, call.service, call.operation)
        if rule.kind == "delay":
            time.sleep(rule.seconds)
            return self.app(environ, start_response)
        if rule.kind == "unprocessed":
            return self._respond(start_response, self._unprocessed(environ, call, rule, rng))
        return self._respond(start_response, error_response(rule, call))

    # -- requests

    def _describe(self, environ: dict[str, Any]) -> AwsCall | None:
        service = signing_service(environ)
        if service is None or service not in self.registry.services():
            return None
        body = _read_body(environ)
        content_type = environ.get("CONTENT_TYPE", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation, protocol = "", "other"
        if content_type.startswith("application/x-amz-json") and "." in target:
            operation, protocol = target.rsplit(".", 1)[1], "json"
        else:
            params = parse_qs(environ.get("QUERY_STRING", ""))
            if content_type.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qs(body.decode("utf-8", errors="replace")))
            if params.get("Action"):
                operation, protocol = params["Action"][0], "query"
        return AwsCall(
            service=service,
            operation=operation,
            protocol=cast("Literal['json', 'query', 'other']", protocol),
            body=body,
            from_function=FUNCTION_USER_AGENT_MARK in environ.get("HTTP_USER_AGENT", ""),
            from_api=environ.get("HTTP_USER_AGENT", "").startswith(API_USER_AGENT_MARK),
        )

    def _unprocessed(
        self, environ: dict[str, Any], call: AwsCall, rule: FaultRule, rng: random.Random
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        if call.protocol != "json":
            log.warning("unprocessed needs the JSON protocol; forwarding %s", call.operation)
            return self._forward(environ, call.body)
        try:
            document = json.loads(call.body or b"{}")
        except ValueError:
            return self._forward(environ, call.body)  # moto answers the malformed request
        if call.operation == "BatchWriteItem":
            forwarded, unprocessed = _split_batch_write(document, rule, rng)
            if not forwarded:
                return _amz_json("200 OK", {"UnprocessedItems": unprocessed})
            status, headers, body = self._forward(
                environ, json.dumps({**document, "RequestItems": forwarded}).encode()
            )
            return _merge(status, headers, body, "UnprocessedItems", unprocessed)
        kept, failed_entries = _split_send_batch(document, rule, rng)
        failed = [
            {
                "Id": entry.get("Id"),
                "SenderFault": False,
                "Code": "InternalError",
                "Message": "The request processing has failed because of an unknown error.",
            }
            for entry in failed_entries
        ]
        if not kept:
            return _amz_json("200 OK", {"Successful": [], "Failed": failed})
        status, headers, body = self._forward(
            environ, json.dumps({**document, "Entries": kept}).encode()
        )
        return _merge(status, headers, body, "Failed", failed)

    def _forward(
        self, environ: dict[str, Any], body: bytes
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.app(inner, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], list(captured["headers"]), b"".join(chunks)

    # -- control endpoint

    def _control(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        registry = self.registry
        if method == "GET":
            return _json_reply("200 OK", {"seed": registry.seed, "rules": registry.snapshot()})
        if method == "DELETE":
            return self._delete(parse_qs(environ.get("QUERY_STRING", "")).get("id"))
        if method != "POST":
            return _json_reply("405 Method Not Allowed", {"message": "GET, POST or DELETE"})
        try:
            document = json.loads(_read_body(environ) or b"{}")
            if isinstance(document, dict) and "rules" in document:
                if "seed" in document:
                    registry.reseed(document["seed"])
                document = document["rules"]
            documents = document if isinstance(document, list) else [document]
            rules = [FaultRule.from_dict(item) for item in documents]
        except (ValueError, TypeError, AttributeError) as error:
            return _json_reply("400 Bad Request", {"message": str(error)})
        ids = [registry.add(rule) for rule in rules]
        return _json_reply("201 Created", {"ids": ids, "rules": registry.snapshot()})

    def _delete(self, ids: list[str] | None) -> tuple[str, list[tuple[str, str]], bytes]:
        if not ids:
            self.registry.clear()
            return _json_reply("200 OK", {"removed": "all"})
        if not all(i.strip().isdigit() for i in ids):
            return _json_reply("400 Bad Request", {"message": f"id must be a number: {ids}"})
        removed = [int(i) for i in ids if self.registry.remove(int(i))]
        return _json_reply("200 OK", {"removed": removed})

    @staticmethod
    def _respond(
        start_response: StartResponse, reply: tuple[str, list[tuple[str, str]], bytes]
    ) -> list[bytes]:
        status, headers, body = reply
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-amz-crc32")]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body once and put it back for whoever reads it next."""
    cached = environ.get("localcloud.body")
    if cached is not None:
        return bytes(cached)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["localcloud.body"] = body
    return bytes(body)


def _amz_json(status: str, document: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    # DynamoDB and SQS both speak JSON 1.0.
    body = json.dumps(document).encode()
    return (
        status,
        [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", str(uuid.uuid4()))],
        body,
    )


def _merge(
    status: str, headers: list[tuple[str, str]], body: bytes, key: str, extra: Any
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Add held-back items to moto's own answer (only when moto answered 200)."""
    if not status.startswith("200"):
        return status, headers, body
    document = json.loads(body or b"{}")
    if isinstance(extra, dict):
        merged: dict[str, list[Any]] = dict(document.get(key) or {})
        for table, items in extra.items():
            merged[table] = [*merged.get(table, []), *items]
        document[key] = merged
    else:
        document[key] = [*(document.get(key) or []), *extra]
    return status, headers, json.dumps(document).encode()

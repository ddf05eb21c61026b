"""The moto server's WSGI layer that wakes idle pollers on writes to what they watch.

After moto has answered (so the record or message is there to read), it rings the
:class:`~localcloud.esm.wakeups.WakeupBoard` for

- Kinesis ``PutRecord``/``PutRecords`` (the stream), ``SplitShard``/``MergeShards``/
  ``UpdateShardCount`` (the stream and its shard list);
- DynamoDB ``PutItem``/``UpdateItem``/``DeleteItem``/``BatchWriteItem``/``TransactWriteItems``
  (each table written: its stream's poller), and PartiQL writes (every table: the statement
  would have to be parsed to name one);
- SQS ``SendMessage``/``SendMessageBatch`` (now, or when ``DelaySeconds`` ends) and
  ``ChangeMessageVisibility``/``...Batch`` (when the new visibility timeout ends), in the JSON
  protocol boto3 speaks and the query protocol the API front's integrations speak.

Anything else (CBOR Kinesis clients, a visibility timeout that simply runs out, a move to a
dead-letter queue) is caught by the pollers' safety poll. Parsing costs only the requests above;
a body that does not parse rings nothing and reaches moto unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

from localcloud.esm.wakeups import VISIBLE_MARGIN_S, WakeupBoard, WatchKey
from localcloud.moto_internals.serial import signing_service
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

_KINESIS_WRITES = {"PutRecord", "PutRecords"}
_KINESIS_RESHARDS = {"SplitShard", "MergeShards", "UpdateShardCount"}
_DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_DYNAMODB_PARTIQL = {"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}
_SQS_DELAYS = {"SendMessage": "DelaySeconds", "SendMessageBatch": "DelaySeconds"}
_SQS_VISIBILITY = {
    "ChangeMessageVisibility": "VisibilityTimeout",
    "ChangeMessageVisibilityBatch": "VisibilityTimeout",
}
_QUERY_ENTRY_FIELD = re.compile(r"^[A-Za-z]+Entry\.\d+\.(?P<field>[A-Za-z]+)$")


def _name_from_arn_or_name(value: str, marker: str) -> str:
    """`marker`NAME out of an ARN (stream/, table/), or the value itself when it is a name."""
    if value.startswith("arn:") and marker in value:
        return value.split(marker, 1)[1].split("/", 1)[0]
    return value


_WATCHED = {
    "kinesis": _KINESIS_WRITES | _KINESIS_RESHARDS,
    "dynamodb": _DYNAMODB_WRITES | _DYNAMODB_PARTIQL,
    "sqs": set(_SQS_DELAYS) | set(_SQS_VISIBILITY),
}


def _write(service: str, environ: Environ, body: bytes) -> tuple[str, dict[str, Any]] | None:
    """(operation, parameters) of a watched write in the JSON or query protocol, else None.

    A JSON request names its operation in a header: the body of a read is never parsed."""
    content_type = environ.get("CONTENT_TYPE", "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if content_type.startswith("application/x-amz-json") and "." in target:
        operation = target.rsplit(".", 1)[1]
        if operation not in _WATCHED[service]:
            return None
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return None
        return (operation, document) if isinstance(document, dict) else None
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qs(body.decode("utf-8", errors="replace")))
    operation = (params.get("Action") or [""])[0]
    if operation not in _WATCHED[service]:
        return None
    return operation, {key: values[-1] for key, values in params.items()}


def _kinesis(operation: str, params: dict[str, Any]) -> list[WatchKey]:
    stream = params.get("StreamName") or params.get("StreamARN")
    if not isinstance(stream, str):
        return []
    name = _name_from_arn_or_name(stream, ":stream/")
    if operation in _KINESIS_RESHARDS:
        return [("kinesis", name), ("kinesis-shards", name)]
    return [("kinesis", name)]


def _dynamodb_tables(operation: str, params: dict[str, Any]) -> Iterator[str]:
    if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
        yield str(params.get("TableName", ""))
    elif operation == "BatchWriteItem":
        yield from (str(table) for table in params.get("RequestItems") or {})
    elif operation == "TransactWriteItems":
        for item in params.get("TransactItems") or []:
            for action in item.values() if isinstance(item, dict) else ():
                if isinstance(action, dict) and "TableName" in action:
                    yield str(action["TableName"])


def _seconds(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _sqs_due_times(operation: str, params: dict[str, Any]) -> set[float]:
    """When the request's messages can be received: 0 (now) or seconds from now."""
    field = _SQS_DELAYS.get(operation) or _SQS_VISIBILITY.get(operation)
    if field is None:
        return set()
    values: list[Any] = []
    entries = params.get("Entries")
    if isinstance(entries, list):  # JSON batch
        values = [entry.get(field) for entry in entries if isinstance(entry, dict)]
    elif operation.endswith("Batch"):  # query batch: ...Entry.N.Field
        values = [
            value
            for key, value in params.items()
            if (match := _QUERY_ENTRY_FIELD.match(key)) and match["field"] == field
        ]
        if field == "DelaySeconds" and not values:
            values = [0]
    else:
        values = [params.get(field)]
    due = {_seconds(value) for value in values}
    return {seconds + VISIBLE_MARGIN_S if seconds > 0 else 0.0 for seconds in due} or {0.0}


def _queue_name(environ: Environ, params: dict[str, Any]) -> str:
    url = params.get("QueueUrl") or environ.get("PATH_INFO", "")
    return str(url).rstrip("/").rsplit("/", 1)[-1]


class PollerWakeups:
    """WSGI middleware: passes every request to ``app``, then rings the pollers it concerns."""

    def __init__(self, app: WsgiApp, board: WakeupBoard) -> None:
        self.app = app
        self.board = board

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        service = signing_service(environ)
        if service is None or service not in _WATCHED or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        body = read_body(environ)
        answer = self.app(environ, start_response)
        write = _write(service, environ, body)
        if write is not None:
            self._ring(service, *write, environ)
        return answer

    def _ring(self, service: str, operation: str, params: dict[str, Any], environ: Environ) -> None:
        if service == "kinesis":
            self.board.ring(_kinesis(operation, params))
        elif service == "dynamodb" and operation in _DYNAMODB_PARTIQL:
            self.board.ring_service("dynamodb")
        elif service == "dynamodb":
            tables = {
                _name_from_arn_or_name(t, ":table/") for t in _dynamodb_tables(operation, params)
            }
            self.board.ring([("dynamodb", table) for table in tables])
        elif service == "sqs":
            key: WatchKey = ("sqs", _queue_name(environ, params))
            for delay_s in _sqs_due_times(operation, params):
                self.board.ring([key], delay_s)

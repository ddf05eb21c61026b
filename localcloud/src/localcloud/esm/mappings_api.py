"""Lambda's event source mapping API, answered by the local cloud instead of moto.

moto would store a mapping and then run it itself through Docker (without it: messages moved to
the DLQ unprocessed, stream records dropped), so every request under
``/2015-03-31/event-source-mappings/`` is answered here from
:class:`localcloud.esm.mappings.EventSourceMappings`, whose mappings are the real pollers:
Create (202), Get, List (by ``FunctionName`` and/or ``EventSourceArn``, ``Marker``/``MaxItems``),
Update (202) and Delete (202). Errors are Lambda's: an unknown UUID is 404
``ResourceNotFoundException``, bad values 400 ``InvalidParameterValueException``, a second
mapping of the same function and source 409 ``ResourceConflictException``, a change during a
transition 400 ``ResourceInUseException``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from localcloud.config import ACCOUNT_ID
from localcloud.deploy.esm_specs import source_type
from localcloud.esm.filters import RecordFilter
from localcloud.esm.mappings import EventSourceMappings, Mapping, MappingInUse, MappingNotFound
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

ESM_PATH = re.compile(r"^/2015-03-31/event-source-mappings/?(?P<uuid>[^/]*)/?$")
# Lambda's ranges (API reference, CreateEventSourceMapping).
MAX_BATCH_SIZE = 10_000
MAX_FIFO_BATCH_SIZE = 10
MAX_WINDOW_S = 300
MAX_TUMBLING_WINDOW_S = 900
DEFAULT_MAX_ITEMS = 100
UPDATABLE = frozenset(
    {
        "FunctionName",
        "Enabled",
        "BatchSize",
        "FilterCriteria",
        "MaximumBatchingWindowInSeconds",
        "DestinationConfig",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
        "MaximumRetryAttempts",
        "ParallelizationFactor",
        "FunctionResponseTypes",
        "ScalingConfig",
        "TumblingWindowInSeconds",
    }
)
STREAM_ONLY = (
    "StartingPosition",
    "ParallelizationFactor",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
)

# A function name or ARN -> the physical name the local cloud runs; LookupError if none.
FunctionResolver = Callable[[str], str]


class ApiError(Exception):
    def __init__(self, status: str, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def invalid(message: str) -> ApiError:
    return ApiError("400 Bad Request", "InvalidParameterValueException", message)


def _respond(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _error(start_response: StartResponse, error: ApiError) -> list[bytes]:
    data = json.dumps({"Type": "User", "message": error.message}).encode()
    start_response(
        error.status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("x-amzn-ErrorType", error.error_type),
        ],
    )
    return [data]


def mapping_arn(region: str, mapping_uuid: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:event-source-mapping:{mapping_uuid}"


def describe(mapping: Mapping, region: str) -> dict[str, Any]:
    """EventSourceMappingConfiguration, as Lambda answers it for this mapping's source."""
    spec, props = mapping.spec, mapping.properties
    answer: dict[str, Any] = {
        "UUID": mapping.uuid,
        "BatchSize": spec.batch_size,
        "MaximumBatchingWindowInSeconds": spec.maximum_batching_window_s,
        "EventSourceArn": spec.event_source_arn,
        "FunctionArn": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.function_name}",
        "LastModified": mapping.last_modified,
        "State": mapping.state,
        "StateTransitionReason": mapping.state_transition_reason,
        "FunctionResponseTypes": list(props.get("FunctionResponseTypes") or []),
        "EventSourceMappingArn": mapping_arn(region, mapping.uuid),
    }
    if mapping.last_processing_result is not None:  # stream mappings, as Lambda reports it
        answer["LastProcessingResult"] = mapping.last_processing_result
    if spec.filter_patterns:
        answer["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in spec.filter_patterns]}
    if spec.source == "sqs":
        if spec.maximum_concurrency is not None:
            answer["ScalingConfig"] = {"MaximumConcurrency": spec.maximum_concurrency}
        return answer
    answer.update(
        StartingPosition=spec.starting_position,
        ParallelizationFactor=spec.parallelization_factor,
        MaximumRecordAgeInSeconds=spec.maximum_record_age_s,
        BisectBatchOnFunctionError=spec.bisect_batch_on_function_error,
        MaximumRetryAttempts=spec.maximum_retry_attempts,
        TumblingWindowInSeconds=spec.tumbling_window_s,
        DestinationConfig={
            "OnFailure": {"Destination": spec.on_failure_destination_arn}
            if spec.on_failure_destination_arn
            else {}
        },
    )
    if "StartingPositionTimestamp" in props:
        answer["StartingPositionTimestamp"] = props["StartingPositionTimestamp"]
    return answer


def _int_in(props: dict[str, Any], key: str, low: int, high: int) -> None:
    if key not in props:
        return
    value = props[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{key} must be an integer between {low} and {high}, not {value!r}.")


def validate(props: dict[str, Any], *, creating: bool) -> None:
    """Lambda's checks of a mapping's properties (after merging an update into them)."""
    arn = props.get("EventSourceArn")
    if not isinstance(arn, str) or not arn:
        raise invalid("EventSourceArn is required.")
    try:
        source = source_type(arn)
    except ValueError:
        raise invalid(
            f"Unsupported event source {arn!r}: the local cloud polls Kinesis streams, "
            "DynamoDB streams and SQS queues."
        ) from None
    fifo = source == "sqs" and arn.endswith(".fifo")
    _int_in(props, "BatchSize", 1, MAX_FIFO_BATCH_SIZE if fifo else MAX_BATCH_SIZE)
    _int_in(props, "MaximumBatchingWindowInSeconds", 0, MAX_WINDOW_S)
    if source == "sqs":
        extra = [key for key in STREAM_ONLY if key in props]
        if extra:
            raise invalid(f"{', '.join(extra)} not supported for SQS event sources.")
        if int(props.get("BatchSize", 10)) > MAX_FIFO_BATCH_SIZE and not props.get(
            "MaximumBatchingWindowInSeconds"
        ):
            raise invalid(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size "
                "is greater than 10"
            )
        _int_in(props.get("ScalingConfig") or {}, "MaximumConcurrency", 2, 1000)
    else:
        if creating and props.get("StartingPosition") not in (
            "TRIM_HORIZON",
            "LATEST",
            "AT_TIMESTAMP",
        ):
            raise invalid("StartingPosition must be one of TRIM_HORIZON, LATEST, AT_TIMESTAMP.")
        _int_in(props, "ParallelizationFactor", 1, 10)
        _int_in(props, "TumblingWindowInSeconds", 0, MAX_TUMBLING_WINDOW_S)
        _int_in(props, "MaximumRetryAttempts", -1, 10_000)
    filters = (props.get("FilterCriteria") or {}).get("Filters") or []
    try:
        RecordFilter([str(f["Pattern"]) for f in filters])
    except Exception as error:
        raise invalid(f"Invalid filter pattern definition: {error}") from None
    unknown = set(props.get("FunctionResponseTypes") or []) - {"ReportBatchItemFailures"}
    if unknown:
        raise invalid(f"Unsupported FunctionResponseTypes {sorted(unknown)}.")


class EventSourceMappingApi:
    """WSGI middleware: the ESM API from ``mappings``; every other request goes to ``app``."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.region = "us-east-1"
        self.mappings: EventSourceMappings | None = None
        self.resolve_function: FunctionResolver | None = None

    def attach(
        self,
        mappings: EventSourceMappings | None,
        resolve_function: FunctionResolver | None,
        region: str,
    ) -> None:
        self.mappings, self.resolve_function, self.region = mappings, resolve_function, region

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        match = ESM_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        try:
            return self._answer(environ, start_response, unquote(match["uuid"]))
        except ApiError as error:
            return _error(start_response, error)

    def _answer(
        self, environ: Environ, start_response: StartResponse, mapping_uuid: str
    ) -> list[bytes]:
        mappings = self.mappings
        if mappings is None:
            raise ApiError(
                "503 Service Unavailable",
                "ServiceException",
                "The local cloud is not running (it is starting or stopping).",
            )
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if not mapping_uuid:
                if method == "POST":
                    created = mappings.create(self._create_properties(environ, mappings))
                    return _respond(start_response, "202 Accepted", describe(created, self.region))
                if method == "GET":
                    return _respond(start_response, "200 OK", self._list(environ, mappings))
            elif method == "GET":
                found = mappings.get(mapping_uuid)
                return _respond(start_response, "200 OK", describe(found, self.region))
            elif method == "PUT":
                changes = self._update_properties(environ, mappings.get(mapping_uuid))
                updated = mappings.update(mapping_uuid, changes)
                return _respond(start_response, "202 Accepted", describe(updated, self.region))
            elif method == "DELETE":
                deleted = mappings.delete(mapping_uuid)
                return _respond(start_response, "202 Accepted", describe(deleted, self.region))
        except MappingNotFound:
            raise ApiError(
                "404 Not Found",
                "ResourceNotFoundException",
                f"The resource you requested does not exist. (Event source mapping {mapping_uuid})",
            ) from None
        except MappingInUse as in_use:
            raise ApiError("400 Bad Request", "ResourceInUseException", str(in_use)) from None
        raise ApiError("405 Method Not Allowed", "InvalidRequestException", f"{method} not allowed")

    @staticmethod
    def _body(environ: Environ) -> dict[str, Any]:
        raw = read_body(environ)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(
                "400 Bad Request",
                "InvalidRequestContentException",
                "The body is not a JSON object.",
            )
        return body

    def _function(self, name_or_arn: Any) -> str:
        if not isinstance(name_or_arn, str) or not name_or_arn:
            raise invalid("FunctionName is required.")
        try:
            if self.resolve_function is None:
                raise LookupError(name_or_arn)
            return self.resolve_function(name_or_arn)
        except LookupError:
            raise ApiError(
                "404 Not Found",
                "ResourceNotFoundException",
                f"Function not found: {name_or_arn}",
            ) from None

    def _create_properties(self, environ: Environ, mappings: EventSourceMappings) -> dict[str, Any]:
        props = self._body(environ)
        validate(props, creating=True)
        props["FunctionName"] = self._function(props.get("FunctionName"))
        for existing in mappings.matching(props["FunctionName"], props["EventSourceArn"]):
            raise ApiError(
                "409 Conflict",
                "ResourceConflictException",
                f"An event source mapping with event source ({props['EventSourceArn']}) and "
                f"function ({props['FunctionName']}) already exists. Please update or delete "
                f"the existing mapping with UUID {existing.uuid}",
            )
        return props

    def _update_properties(self, environ: Environ, mapping: Mapping) -> dict[str, Any]:
        changes = self._body(environ)
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise invalid(f"Cannot update {', '.join(sorted(unknown))} of an event source mapping.")
        if "FunctionName" in changes:
            changes["FunctionName"] = self._function(changes["FunctionName"])
        validate({**mapping.properties, **changes}, creating=False)
        return changes

    def _list(self, environ: Environ, mappings: EventSourceMappings) -> dict[str, Any]:
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        function = query.get("FunctionName")
        found = mappings.matching(
            self._function(function) if function else None, query.get("EventSourceArn")
        )
        try:
            start = int(query.get("Marker", "0"))
            size = int(query.get("MaxItems", DEFAULT_MAX_ITEMS))
        except ValueError:
            raise invalid("Marker and MaxItems must be integers.") from None
        if not 1 <= size <= 10_000 or start < 0:
            raise invalid("MaxItems must be between 1 and 10000.")
        page = found[start : start + size]
        answer: dict[str, Any] = {"EventSourceMappings": [describe(m, self.region) for m in page]}
        if start + size < len(found):
            answer["NextMarker"] = str(start + size)
        return answer

"""Turn an ``AWS::Lambda::EventSourceMapping``'s resolved properties into an EventSourceMappingSpec.

Defaults are Lambda's (developer guide): batch size 100 for streams and 10 for SQS, retries -1
(until the record expires), record age -1, no batching window, no tumbling window.
"""

from __future__ import annotations

from typing import Any, Literal

from localcloud.specs import EventSourceMappingSpec

SourceType = Literal["kinesis", "dynamodb", "sqs"]
DEFAULT_BATCH_SIZE: dict[SourceType, int] = {"kinesis": 100, "dynamodb": 100, "sqs": 10}


def source_type(event_source_arn: str) -> SourceType:
    """kinesis stream ARN -> kinesis; DynamoDB *stream* ARN -> dynamodb; queue ARN -> sqs."""
    service = event_source_arn.split(":")[2] if event_source_arn.count(":") >= 5 else ""
    if service == "kinesis":
        return "kinesis"
    if service == "dynamodb" and "/stream/" in event_source_arn:
        return "dynamodb"
    if service == "sqs":
        return "sqs"
    raise ValueError(f"unsupported event source {event_source_arn!r}")


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def esm_spec(logical_id: str, props: dict[str, Any]) -> EventSourceMappingSpec:
    arn = str(props["EventSourceArn"])
    source = source_type(arn)
    filters = (props.get("FilterCriteria") or {}).get("Filters") or []
    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    max_concurrency = (props.get("ScalingConfig") or {}).get("MaximumConcurrency")
    return EventSourceMappingSpec(
        logical_id=logical_id,
        function_name=str(props["FunctionName"]).rsplit(":function:", 1)[-1],
        event_source_arn=arn,
        source=source,
        batch_size=int(props.get("BatchSize", DEFAULT_BATCH_SIZE[source])),
        maximum_batching_window_s=int(props.get("MaximumBatchingWindowInSeconds", 0)),
        starting_position=props.get("StartingPosition"),
        parallelization_factor=int(props.get("ParallelizationFactor", 1)),
        bisect_batch_on_function_error=_as_bool(props.get("BisectBatchOnFunctionError", False)),
        maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        maximum_record_age_s=int(props.get("MaximumRecordAgeInSeconds", -1)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (props.get("FunctionResponseTypes") or []),
        filter_patterns=tuple(str(f["Pattern"]) for f in filters),
        on_failure_destination_arn=str(on_failure) if on_failure else None,
        maximum_concurrency=int(max_concurrency) if max_concurrency is not None else None,
        enabled=_as_bool(props.get("Enabled", True)),
        tumbling_window_s=int(props.get("TumblingWindowInSeconds", 0)),
    )

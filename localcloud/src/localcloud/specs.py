"""What a deployed stack means to the local cloud: plain data, shared by every part.

``deploy`` produces these from the translated template; ``functions``, ``esm`` and ``apigw``
consume them. Field names mirror the AWS API so they read like the console.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Lambda::Function as deployed (physical name) plus where its code lives locally."""

    logical_id: str
    function_name: str
    handler: str  # "package.module.function", as in the template
    code_dir: Path  # the CodeUri folder; workers import from it
    runtime: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    # ContentUri folders of the stack's own layers, importable after code_dir (/opt/python).
    layer_dirs: tuple[Path, ...] = ()
    # The CodeUri's requirements.txt, installed (deploy/dependencies.py): right after code_dir.
    dependency_dirs: tuple[Path, ...] = ()
    # LoggingConfig: LogGroup ("" for Lambda's default) and LogFormat.
    log_group: str = ""
    log_format: Literal["Text", "JSON"] = "Text"

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.function_name}"


@dataclass(frozen=True)
class EventSourceMappingSpec:
    """One AWS::Lambda::EventSourceMapping with its properties resolved (ARNs, not refs)."""

    logical_id: str
    function_name: str
    event_source_arn: str
    source: Literal["kinesis", "dynamodb", "sqs"]
    batch_size: int
    maximum_batching_window_s: int = 0
    starting_position: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] | None = None
    parallelization_factor: int = 1
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1  # -1: until the record expires, as in AWS
    maximum_record_age_s: int = -1
    report_batch_item_failures: bool = False
    filter_patterns: tuple[str, ...] = ()  # EventBridge-style JSON patterns
    on_failure_destination_arn: str | None = None
    maximum_concurrency: int | None = None  # SQS ScalingConfig
    enabled: bool = True
    tumbling_window_s: int = 0  # streams: 0 is no tumbling window


@dataclass(frozen=True)
class StackEventSourceMapping:
    """A template's mapping as deployed: its UUID (the physical id) and resolved properties."""

    logical_id: str
    uuid: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class SavedEventSourceMapping:
    """A mapping as the Lambda API left it (``up --persist`` restores it so): the stack's own
    with their updates, and those created at runtime; ``properties`` say ``Enabled``."""

    uuid: str
    logical_id: str | None  # None for a mapping created at runtime
    properties: dict[str, Any]
    last_modified: float
    last_processing_result: str | None  # stream mappings only


@dataclass(frozen=True)
class RestApiSpec:
    """A deployed REST API: moto holds the resources/methods/integrations after put_rest_api."""

    logical_id: str
    rest_api_id: str
    stage_name: str
    # The resolved OpenAPI body (intrinsics substituted): validators, models and gateway
    # responses live here, and moto keeps only part of them.
    definition: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeployedStack:
    stack_name: str
    region: str
    outputs: dict[str, str]
    functions: dict[str, FunctionSpec]  # by physical function name
    event_source_mappings: list[EventSourceMappingSpec]
    rest_apis: list[RestApiSpec]
    # The same mappings as CloudFormation created them (UUID, resolved properties): what the
    # Lambda API reports and updates (localcloud.esm.mappings).
    event_source_mapping_resources: tuple[StackEventSourceMapping, ...] = ()


@dataclass(frozen=True)
class InvokeResult:
    """The outcome of one synchronous invoke, as Lambda reports it."""

    payload: Any  # the handler's JSON-decoded return value, or the error document
    function_error: Literal["Unhandled", "Timeout", "Crash"] | None = None
    duration_ms: float = 0.0
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.function_error is None


class Invoker(Protocol):
    """Runs a function synchronously (RequestResponse). Implemented by ``functions``."""

    def invoke(self, function_name: str, event: Any) -> InvokeResult: ...

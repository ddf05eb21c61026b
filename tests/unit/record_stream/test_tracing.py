"""The stream handlers' traces carry no response: a 1,000-record batch's would pass X-Ray's 64 KB
segment document limit (and put record positions in every trace).

Powertools' Tracer is disabled outside Lambda, so these tests hand it a real X-Ray recorder of
their own (aws_xray_sdk, sampling off, segments kept in memory instead of sent to a daemon) and
read the handler's subsegment back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.recorder import AWSXRayRecorder

from lambda_observability.powertools import tracer
from tests.unit.record_stream.conftest import Invoke
from tests.unit.record_stream.moto_resources import RecordStreamAws, load_event


class _KeptInMemory:
    """An X-Ray emitter that keeps what it is given (there is no daemon in a unit test)."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send_entity(self, entity: Any) -> None:
        self.sent.append(entity)

    def set_daemon_address(self, address: str | None) -> None:
        pass


@pytest.fixture
def trace_segment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Segment]:
    """A segment open around the test, recorded by a recorder only this test uses."""
    recorder = AWSXRayRecorder()
    recorder.configure(
        sampling=False, context_missing="LOG_ERROR", emitter=_KeptInMemory(), plugins=()
    )
    monkeypatch.setattr(tracer, "provider", recorder)
    monkeypatch.delenv("AWS_XRAY_SDK_ENABLED", raising=False)
    was_enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)  # the disabled Tracer turned the SDK off
    segment = recorder.begin_segment("unit-test")
    try:
        yield segment
    finally:
        recorder.end_segment()
        global_sdk_config.set_sdk_enabled(was_enabled)


def _handler_subsegment(segment: Segment) -> Any:
    (subsegment,) = [s for s in segment.subsegments if s.name == "## lambda_handler"]
    return subsegment


def test_record_processor_trace_has_no_response(
    process_records: Invoke, aws: RecordStreamAws, trace_segment: Segment
) -> None:
    response = process_records(load_event("kinesis-malformed.json"))
    assert response == {"batchItemFailures": []}

    subsegment = _handler_subsegment(trace_segment)
    assert "ColdStart" in subsegment.annotations  # the handler's subsegment was recorded
    recorded = [key for namespace in subsegment.metadata.values() for key in namespace]
    assert not any(key.endswith(" response") for key in recorded), recorded


def test_listener_trace_has_no_response(
    listener: Invoke, aws: RecordStreamAws, trace_segment: Segment
) -> None:
    response = listener(load_event("dynamodb-stream-listener.json"))
    assert response == {"batchItemFailures": []}

    subsegment = _handler_subsegment(trace_segment)
    assert "ColdStart" in subsegment.annotations
    recorded = [key for namespace in subsegment.metadata.values() for key in namespace]
    assert not any(key.endswith(" response") for key in recorded), recorded

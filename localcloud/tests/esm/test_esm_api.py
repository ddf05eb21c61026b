"""The Lambda event source mapping API against the local cloud's server, driving real pollers.

boto3's Lambda client talks to a LocalCloudServer (moto plus the local cloud's routes); the
mappings it creates, pauses, updates and deletes are polled by the supervisor over moto's
Kinesis and SQS, feeding a recording function.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.esm.esm_support import (
    FAST,
    Cloud,
    FunctionError,
    RecordingFunction,
    kinesis_data,
    wait_until,
)

from localcloud.clients import local_client
from localcloud.cloud import CloudOptions, LocalCloud
from localcloud.esm.mappings import POLLERS_OFF, EventSourceMappings
from localcloud.esm.supervisor import EventSourceMappingSupervisor
from localcloud.server import LocalCloudServer

REGION = "us-east-1"
FUNCTION = "fn-under-test"


def _resolve(name_or_arn: str) -> str:
    name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
    if name != FUNCTION:
        raise LookupError(name_or_arn)
    return name


class Api:
    """boto3's Lambda client at the server, plus the function the mappings invoke."""

    def __init__(self, server: LocalCloudServer) -> None:
        self.function = RecordingFunction()
        self.supervisor = EventSourceMappingSupervisor([], self.function, server.url, REGION, FAST)
        self.mappings = EventSourceMappings(self.supervisor)
        self.client: Any = boto3.client("lambda", endpoint_url=server.url, region_name=REGION)

    def state(self, mapping_uuid: str) -> str:
        return str(self.client.get_event_source_mapping(UUID=mapping_uuid)["State"])

    def settle(self, mapping_uuid: str, state: str) -> None:
        wait_until(lambda: self.state(mapping_uuid) == state, 10, state)

    def create(self, **params: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.client.create_event_source_mapping(
            FunctionName=FUNCTION, **params
        )
        return created

    def error(self, call: str, **params: Any) -> tuple[str, int]:
        with pytest.raises(ClientError) as raised:
            getattr(self.client, call)(**params)
        response = raised.value.response
        return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def api(local_server: LocalCloudServer) -> Iterator[Api]:
    api = Api(local_server)
    local_server.set_event_source_mappings(api.mappings, _resolve, REGION)
    yield api
    local_server.set_event_source_mappings(None)
    api.supervisor.stop()


@pytest.fixture
def aws(local_server: LocalCloudServer) -> Cloud:
    return Cloud(local_server.url, REGION)


def _sequence_numbers(function: RecordingFunction) -> list[str]:
    return [r["kinesis"]["sequenceNumber"] for batch in function.batches for r in batch]


def test_a_kinesis_mapping_created_at_runtime_polls(api: Api, aws: Cloud) -> None:
    name, arn = aws.stream()
    put = aws.put(name, [("p", {"n": i}) for i in range(3)])
    created = api.create(EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=10)

    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "User action"  # Lambda's, for stream mappings
    assert created["FunctionArn"].endswith(f":function:{FUNCTION}")
    api.settle(created["UUID"], "Enabled")
    wait_until(lambda: api.function.record_count() == 3, what="the stream's records")
    assert _sequence_numbers(api.function) == put


def test_an_sqs_mapping_created_at_runtime_polls(api: Api, aws: Cloud) -> None:
    url, arn = aws.queue()
    aws.send(url, ["one", "two"])
    created = api.create(EventSourceArn=arn, BatchSize=1)
    assert created["StateTransitionReason"] == "USER_INITIATED"  # Lambda's, for SQS mappings
    api.settle(created["UUID"], "Enabled")

    wait_until(lambda: aws.depth(url) == 0, what="the queue drained")
    bodies = sorted(r["body"] for batch in api.function.batches for r in batch)
    assert bodies == ["one", "two"]
    assert {len(batch) for batch in api.function.batches} == {1}


def test_disabling_pauses_and_enabling_resumes_from_the_checkpoint(api: Api, aws: Cloud) -> None:
    name, arn = aws.stream(shards=2)
    first = aws.put(name, [(f"k{i}", {"n": i}) for i in range(6)])
    mapping_uuid = api.create(EventSourceArn=arn, StartingPosition="TRIM_HORIZON")["UUID"]
    wait_until(lambda: api.function.record_count() == 6, what="the first records")

    paused = api.client.update_event_source_mapping(UUID=mapping_uuid, Enabled=False)
    assert paused["State"] == "Disabling"
    api.settle(mapping_uuid, "Disabled")
    second = aws.put(name, [(f"k{i}", {"n": 6 + i}) for i in range(6)])
    # Disabled: the pollers (FAST: a read every 50 ms) deliver nothing while it stays so.
    time.sleep(1.0)
    assert api.function.record_count() == 6

    resumed = api.client.update_event_source_mapping(UUID=mapping_uuid, Enabled=True)
    assert resumed["State"] == "Enabling"
    api.settle(mapping_uuid, "Enabled")
    wait_until(lambda: api.function.record_count() == 12, what="the records put while paused")
    time.sleep(0.5)  # anything re-delivered from before the pause would arrive meanwhile
    delivered = _sequence_numbers(api.function)
    assert sorted(delivered) == sorted(first + second)  # each record exactly once


def test_an_update_takes_effect_on_the_running_poller(api: Api, aws: Cloud) -> None:
    name, arn = aws.stream()
    mapping_uuid = api.create(EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=100)[
        "UUID"
    ]
    api.settle(mapping_uuid, "Enabled")
    aws.put(name, [("p", {"n": i, "kind": "any"}) for i in range(8)])
    wait_until(lambda: api.function.record_count() == 8, what="the first records")
    assert [len(b) for b in api.function.batches] == [8]

    keep_only = json.dumps({"data": {"kind": ["keep"]}})
    updated = api.client.update_event_source_mapping(
        UUID=mapping_uuid, BatchSize=2, FilterCriteria={"Filters": [{"Pattern": keep_only}]}
    )
    assert updated["State"] == "Updating"
    assert (updated["BatchSize"], updated["FilterCriteria"]["Filters"][0]["Pattern"]) == (
        2,
        keep_only,
    )
    api.settle(mapping_uuid, "Enabled")
    aws.put(name, [("p", {"n": 8 + i, "kind": "keep" if i % 2 else "drop"}) for i in range(8)])
    wait_until(lambda: api.function.record_count() == 12, what="the kept records")
    time.sleep(0.5)  # a dropped or re-delivered record would arrive meanwhile

    later = api.function.batches[1:]
    assert all(len(batch) <= 2 for batch in later)
    assert [kinesis_data(r)["n"] for batch in later for r in batch] == [9, 11, 13, 15]


def test_deleting_a_mapping_stops_its_poller(api: Api, aws: Cloud) -> None:
    url, arn = aws.queue()
    mapping_uuid = api.create(EventSourceArn=arn)["UUID"]
    api.settle(mapping_uuid, "Enabled")

    deleted = api.client.delete_event_source_mapping(UUID=mapping_uuid)
    assert deleted["State"] == "Deleting"
    wait_until(
        lambda: mapping_uuid not in {m["UUID"] for m in api.client.list_event_source_mappings()
                                     ["EventSourceMappings"]},
        what="the mapping gone",
    )  # fmt: skip
    assert api.error("get_event_source_mapping", UUID=mapping_uuid) == (
        "ResourceNotFoundException",
        404,
    )
    aws.send(url, ["left alone"])
    time.sleep(1.0)
    assert api.function.events == []
    assert aws.depth(url) == 1


def test_list_filters_by_function_and_by_source(api: Api, aws: Cloud) -> None:
    _, queue_arn = aws.queue()
    _, stream_arn = aws.stream()
    on_queue = api.create(EventSourceArn=queue_arn, Enabled=False)["UUID"]
    on_stream = api.create(EventSourceArn=stream_arn, StartingPosition="LATEST", Enabled=False)[
        "UUID"
    ]

    listed = api.client.list_event_source_mappings(EventSourceArn=stream_arn)
    assert [m["UUID"] for m in listed["EventSourceMappings"]] == [on_stream]
    by_function = api.client.list_event_source_mappings(FunctionName=FUNCTION)
    assert {m["UUID"] for m in by_function["EventSourceMappings"]} == {on_queue, on_stream}
    page = api.client.list_event_source_mappings(FunctionName=FUNCTION, MaxItems=1)
    assert len(page["EventSourceMappings"]) == 1
    rest = api.client.list_event_source_mappings(
        FunctionName=FUNCTION, MaxItems=1, Marker=page["NextMarker"]
    )
    assert {page["EventSourceMappings"][0]["UUID"], rest["EventSourceMappings"][0]["UUID"]} == {
        on_queue,
        on_stream,
    }
    assert "NextMarker" not in rest


def test_errors_are_lambdas(api: Api, aws: Cloud) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    not_found = ("ResourceNotFoundException", 404)
    assert api.error("get_event_source_mapping", UUID=unknown) == not_found
    assert api.error("update_event_source_mapping", UUID=unknown, Enabled=False) == not_found
    assert api.error("delete_event_source_mapping", UUID=unknown) == not_found

    url, queue_arn = aws.queue()
    invalid = ("InvalidParameterValueException", 400)
    create = api.client.create_event_source_mapping
    assert api.error(
        "create_event_source_mapping", FunctionName="nope", EventSourceArn=queue_arn
    ) == (
        "ResourceNotFoundException",
        404,
    )
    for params in (
        {"BatchSize": 20},  # over 10 needs a batching window for SQS
        {"StartingPosition": "LATEST"},  # not for SQS
        {"FilterCriteria": {"Filters": [{"Pattern": '{"body": 1}'}]}},
        {"FunctionResponseTypes": ["Everything"]},
    ):
        assert (
            api.error(
                "create_event_source_mapping",
                FunctionName=FUNCTION,
                EventSourceArn=queue_arn,
                **params,
            )
            == invalid
        ), params
    _, stream_arn = aws.stream()
    assert (
        api.error(  # a stream needs a StartingPosition
            "create_event_source_mapping", FunctionName=FUNCTION, EventSourceArn=stream_arn
        )
        == invalid
    )
    assert (
        api.error(
            "create_event_source_mapping",
            FunctionName=FUNCTION,
            EventSourceArn="arn:aws:sns:us-east-1:123456789012:topic",
        )
        == invalid
    )

    existing = create(FunctionName=FUNCTION, EventSourceArn=queue_arn, Enabled=False)
    assert api.error(
        "create_event_source_mapping", FunctionName=FUNCTION, EventSourceArn=queue_arn
    ) == ("ResourceConflictException", 409)
    api.settle(existing["UUID"], "Disabled")
    assert api.error("update_event_source_mapping", UUID=existing["UUID"], BatchSize=20) == invalid
    assert api.state(existing["UUID"]) == "Disabled"  # a refused update changes nothing
    assert aws.depth(url) == 0


def test_stream_mappings_report_their_last_processing_result(api: Api, aws: Cloud) -> None:
    def fail_when_told(event: dict[str, Any]) -> None:
        if any(kinesis_data(r).get("fail") for r in event["Records"]):
            raise FunctionError("told to fail")

    api.function.handler = fail_when_told
    name, arn = aws.stream()
    created = api.create(
        EventSourceArn=arn, StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=0
    )
    mapping_uuid = created["UUID"]
    assert created["LastProcessingResult"] == "No records processed"

    def result() -> str:
        found = api.client.get_event_source_mapping(UUID=mapping_uuid)
        return str(found.get("LastProcessingResult"))

    aws.put(name, [("p", {"n": 1})])
    wait_until(lambda: result() == "OK", what="OK after a processed batch")
    aws.put(name, [("p", {"fail": True})])
    wait_until(lambda: result() == "PROBLEM: Function call failed", what="the function's error")

    updated = api.client.update_event_source_mapping(UUID=mapping_uuid, BatchSize=5)
    assert updated["LastProcessingResult"] == "PROBLEM: Function call failed"
    api.settle(mapping_uuid, "Enabled")
    listed = api.client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [m["LastProcessingResult"] for m in listed] == ["PROBLEM: Function call failed"]
    # Lambda reports none for SQS mappings.
    _, queue_arn = aws.queue()
    on_queue = api.create(EventSourceArn=queue_arn, Enabled=False)
    assert "LastProcessingResult" not in on_queue
    assert "LastProcessingResult" not in api.client.get_event_source_mapping(UUID=on_queue["UUID"])


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _window_start(event: dict[str, Any]) -> str:
    return str(event["window"]["start"])


def test_a_tumbling_window_carries_its_state_and_ends_with_a_final_invoke(
    api: Api, aws: Cloud
) -> None:
    def count(event: dict[str, Any]) -> dict[str, Any]:
        state = dict(event["state"])
        state["records"] = state.get("records", 0) + len(event["Records"])
        return {"state": state}

    api.function.handler = count
    name, arn = aws.stream()
    created = api.create(
        EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=2, TumblingWindowInSeconds=1
    )
    assert created["TumblingWindowInSeconds"] == 1
    put = aws.put(name, [("p", {"n": i}) for i in range(5)])

    def closed_windows() -> bool:
        events = api.function.events
        with_records = {_window_start(e) for e in events if e["Records"]}
        finals = {_window_start(e) for e in events if e["isFinalInvokeForWindow"]}
        return api.function.record_count() == 5 and with_records <= finals

    wait_until(closed_windows, what="every window's final invoke")
    events = api.function.events
    assert _sequence_numbers(api.function) == put  # each record once, in order
    for event in events:
        start, end = _epoch(event["window"]["start"]), _epoch(event["window"]["end"])
        assert (end - start, start % 1) == (1, 0)  # one second, aligned on the second
        assert (event["shardId"], event["eventSourceARN"]) == ("shardId-000000000000", arn)
        assert event["isWindowTerminatedEarly"] is False
        assert len(event["Records"]) <= 2
        for record in event["Records"]:
            assert start <= record["kinesis"]["approximateArrivalTimestamp"] < end
    # Per window, in order: its batches, each given the state the one before returned, then
    # its final invoke with no records and the whole window's state; then the next window.
    order = [_window_start(e) for e in events]
    assert order == sorted(order)
    for start in dict.fromkeys(order):
        invokes = [e for e in events if _window_start(e) == start]
        *batches, final = invokes
        assert [e["isFinalInvokeForWindow"] for e in invokes] == [False] * len(batches) + [True]
        assert final["Records"] == []
        seen = 0
        for batch in batches:
            assert batch["state"] == ({"records": seen} if seen else {})
            seen += len(batch["Records"])
        assert final["state"] == {"records": seen}


def test_a_windowed_response_without_state_fails_the_batch(api: Api, aws: Cloud) -> None:
    answers = iter([None, {"state": {"kept": True}}])
    api.function.handler = lambda event: next(answers, {"state": {}})
    name, arn = aws.stream()
    api.create(EventSourceArn=arn, StartingPosition="TRIM_HORIZON", TumblingWindowInSeconds=1)
    put = aws.put(name, [("p", {"n": 1})])

    wait_until(
        lambda: any(e["isFinalInvokeForWindow"] for e in api.function.events), what="the final"
    )
    first, retry, final = api.function.events
    # No state: the batch failed and was retried with the window's state unchanged.
    assert _sequence_numbers(api.function) == put + put
    assert first["state"] == retry["state"] == {}
    assert (final["Records"], final["state"]) == ([], {"kept": True})


MAPPING_TEMPLATE = (
    Path(__file__).resolve().parents[1] / "functions_under_test" / "mapping_template.yaml"
)


def _cloud_without_pollers(stack_name: str) -> LocalCloud:
    """The mapping template's stack on a cloud with no pollers, API front or proxy."""
    return LocalCloud(
        CloudOptions(
            template=MAPPING_TEMPLATE,
            stack_name=stack_name,
            region=REGION,
            with_esm=False,
            with_api=False,
            with_proxy=False,
            prewarm=False,
        )
    )


def test_a_cloud_without_pollers_answers_for_its_mappings() -> None:
    """``localcloud invoke`` (and tests) start a cloud without pollers: its Lambda API still
    lists, creates, updates and deletes mappings, and says they are not polled."""
    with _cloud_without_pollers("no-pollers") as cloud:
        client = local_client("lambda", cloud.endpoint_url, REGION)
        (listed,) = client.list_event_source_mappings()["EventSourceMappings"]
        assert (listed["State"], listed["StateTransitionReason"]) == ("Disabled", POLLERS_OFF)
        assert listed["BatchSize"] == 5

        updated = client.update_event_source_mapping(UUID=listed["UUID"], BatchSize=3)
        assert updated["BatchSize"] == 3
        wait_until(
            lambda: client.get_event_source_mapping(UUID=listed["UUID"])["State"] == "Disabled",
            what="the update settled",
        )
        found = client.get_event_source_mapping(UUID=listed["UUID"])
        assert (found["BatchSize"], found["StateTransitionReason"]) == (3, POLLERS_OFF)
        resources = local_client("cloudformation", cloud.endpoint_url, REGION)
        physical = {
            r["PhysicalResourceId"]
            for r in resources.list_stack_resources(StackName="no-pollers")[
                "StackResourceSummaries"
            ]
        }
        assert listed["UUID"] in physical


def test_an_open_window_keeps_its_state_across_a_pause(api: Api, aws: Cloud) -> None:
    def count(event: dict[str, Any]) -> dict[str, Any]:
        return {"state": {"records": event["state"].get("records", 0) + len(event["Records"])}}

    api.function.handler = count
    name, arn = aws.stream()
    # 15 minutes, Lambda's longest window: it stays open for the whole test.
    mapping_uuid = api.create(
        EventSourceArn=arn, StartingPosition="TRIM_HORIZON", TumblingWindowInSeconds=900
    )["UUID"]
    aws.put(name, [("p", {"n": 1})])
    wait_until(lambda: len(api.function.events) == 1, what="the first batch")
    api.client.update_event_source_mapping(UUID=mapping_uuid, Enabled=False)
    api.settle(mapping_uuid, "Disabled")
    api.client.update_event_source_mapping(UUID=mapping_uuid, Enabled=True)
    api.settle(mapping_uuid, "Enabled")
    aws.put(name, [("p", {"n": 2})])
    wait_until(lambda: len(api.function.events) == 2, what="the batch after the pause")

    first, second = api.function.events
    if _window_start(first) == _window_start(second):  # not across a 15-minute boundary
        assert (first["state"], second["state"]) == ({}, {"records": 1})


def test_a_stack_mapping_deleted_through_the_lambda_api_stays_a_stack_resource() -> None:
    """On AWS, DeleteEventSourceMapping of a stack's mapping leaves the stack resource listed
    (the stack has drifted): CloudFormation still names its UUID until the stack changes."""
    with _cloud_without_pollers("drifted") as cloud:
        client = local_client("lambda", cloud.endpoint_url, REGION)
        cfn = local_client("cloudformation", cloud.endpoint_url, REGION)
        (listed,) = client.list_event_source_mappings()["EventSourceMappings"]
        before = cfn.list_stack_resources(StackName="drifted")["StackResourceSummaries"]
        client.delete_event_source_mapping(UUID=listed["UUID"])
        wait_until(
            lambda: not client.list_event_source_mappings()["EventSourceMappings"],
            what="the mapping deleted",
        )
        after = cfn.list_stack_resources(StackName="drifted")["StackResourceSummaries"]
        assert after == before
        mapping = [r for r in after if r["ResourceType"] == "AWS::Lambda::EventSourceMapping"]
        assert [(r["LogicalResourceId"], r["PhysicalResourceId"]) for r in mapping] == [
            ("ProbeFunctionFromJobs", listed["UUID"])
        ]
        described = cfn.describe_stack_resources(StackName="drifted")["StackResources"]
        assert listed["UUID"] in {r["PhysicalResourceId"] for r in described}

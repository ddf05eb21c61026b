"""Function output in CloudWatch Logs and EMF metrics in CloudWatch: real workers, the real moto
server, read back with boto3 as a user's tools would."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from localcloud.functions.invoker import LocalInvoker
from localcloud.functions.log_delivery import LogDelivery
from localcloud.server import LocalCloudServer
from localcloud.specs import FunctionSpec

STREAM_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")
REPORT = re.compile(
    r"^REPORT RequestId: (?P<id>\S+)\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: 256 MB\tMax Memory Used: \d+ MB(?P<rest>.*)$"
)


class Cloud:
    """A LocalInvoker whose workers' output goes to the shared moto server's CloudWatch."""

    def __init__(self, server: LocalCloudServer, specs: list[FunctionSpec]) -> None:
        self.delivery = LogDelivery(server.url, "us-east-1").start()
        self.invoker = LocalInvoker(
            {s.function_name: s for s in specs}, server.url, "us-east-1",
            log_delivery=self.delivery,
        )  # fmt: skip
        self.logs = boto3.client("logs", endpoint_url=server.url)
        self.cloudwatch = boto3.client("cloudwatch", endpoint_url=server.url)

    def events(self, group: str) -> list[dict[str, Any]]:
        assert self.delivery.flush()
        pages = self.logs.get_paginator("filter_log_events").paginate(logGroupName=group)
        return [event for page in pages for event in page["events"]]

    def messages(self, group: str) -> list[str]:
        return [event["message"] for event in self.events(group)]

    def close(self) -> None:
        self.invoker.close()
        self.delivery.stop()


@pytest.fixture
def cloud_of(local_server: LocalCloudServer) -> Iterator[Callable[..., Cloud]]:
    clouds: list[Cloud] = []

    def make(*specs: FunctionSpec) -> Cloud:
        clouds.append(Cloud(local_server, list(specs)))
        return clouds[-1]

    yield make
    for cloud in clouds:
        cloud.close()


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_an_invoke_writes_start_its_lines_end_and_report_to_the_log_group(
    cloud_of: Callable[..., Cloud], probe_spec: Callable[..., FunctionSpec]
) -> None:
    name = _unique("logs-fn")
    cloud = cloud_of(probe_spec(function_name=name))

    first = cloud.invoker.invoke(name, {"action": "print", "text": "first line"})
    second = cloud.invoker.invoke(name, {"action": "print", "text": "second line"})

    group = f"/aws/lambda/{name}"
    events = cloud.events(group)
    streams = {event["logStreamName"] for event in events}
    assert len(streams) == 1  # one warm worker, one execution environment
    assert STREAM_NAME.match(streams.pop())
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps)
    messages = [event["message"] for event in events]
    for result, text in ((first, "first line"), (second, "second line")):
        request_id = result.payload["request_id"]
        start = messages.index(f"START RequestId: {request_id} Version: $LATEST")
        end = messages.index(f"END RequestId: {request_id}")
        assert messages[start + 1 : end] == [text, f"{text} (stderr)"]
        report = REPORT.match(messages[end + 1])
        assert report and report["id"] == request_id
    first_report = REPORT.match(
        messages[messages.index(f"END RequestId: {first.payload['request_id']}") + 1]
    )
    second_report = REPORT.match(messages[-1])
    assert first_report and re.fullmatch(r"\tInit Duration: [\d.]+ ms", first_report["rest"])
    assert second_report and second_report["rest"] == ""  # warm: no Init Duration


def test_each_worker_has_its_own_stream_and_the_environment_names_it(
    cloud_of: Callable[..., Cloud], probe_spec: Callable[..., FunctionSpec]
) -> None:
    name = _unique("pair-fn")
    cloud = cloud_of(probe_spec(function_name=name, reserved_concurrency=2))
    names = ["AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_LOG_GROUP_NAME"]

    results: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                cloud.invoker.invoke(name, {"action": "sleep", "seconds": 0.5})
            )
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.payload["pid"] for r in results}) == 2
    seen = {cloud.invoker.invoke(name, {"action": "env", "names": names}).payload[names[0]]}
    streams = {event["logStreamName"] for event in cloud.events(f"/aws/lambda/{name}")}
    assert len(streams) == 2
    assert seen <= streams
    described = cloud.logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")
    assert {s["logStreamName"] for s in described["logStreams"]} == streams


def test_a_timeout_is_ended_and_reported_with_its_status(
    cloud_of: Callable[..., Cloud], probe_spec: Callable[..., FunctionSpec]
) -> None:
    name = _unique("slow-fn")
    cloud = cloud_of(probe_spec(function_name=name, timeout_s=1))

    result = cloud.invoker.invoke(name, {"action": "sleep", "seconds": 5})

    assert result.function_error == "Timeout"
    request_id = re.search(r"RequestId: (\S+)", result.payload["errorMessage"])[1]  # type: ignore[index]
    messages = cloud.messages(f"/aws/lambda/{name}")
    end = messages.index(f"END RequestId: {request_id}")
    assert "Task timed out after 1.00 seconds" in messages[end - 1]
    report = REPORT.match(messages[end + 1])
    assert report and report["id"] == request_id
    assert report["rest"].endswith("\tStatus: timeout")


def test_json_log_format_writes_lambdas_platform_records(
    cloud_of: Callable[..., Cloud], probe_spec: Callable[..., FunctionSpec]
) -> None:
    name = _unique("json-fn")
    cloud = cloud_of(probe_spec(function_name=name, log_format="JSON"))

    result = cloud.invoker.invoke(name, {"action": "print", "text": "plain print"})

    request_id = result.payload["request_id"]
    messages = cloud.messages(f"/aws/lambda/{name}")
    assert not any(m.startswith(("START", "END", "REPORT")) for m in messages)
    records = [json.loads(m) for m in messages if m.startswith('{"time"')]
    assert [r["type"] for r in records] == ["platform.start", "platform.report"]
    assert records[0]["record"] == {"requestId": request_id, "version": "$LATEST"}
    report = records[1]["record"]
    assert report["requestId"] == request_id and report["status"] == "success"
    assert report["metrics"]["memorySizeMB"] == 256
    assert {"durationMs", "billedDurationMs", "maxMemoryUsedMB", "initDurationMs"} <= set(
        report["metrics"]
    )
    assert "plain print" in messages  # print() output stays plain text, as in Lambda


def test_a_logging_config_log_group_receives_the_output(
    cloud_of: Callable[..., Cloud], probe_spec: Callable[..., FunctionSpec]
) -> None:
    name, group = _unique("grouped-fn"), _unique("/custom/shared-group")
    cloud = cloud_of(probe_spec(function_name=name, log_group=group))

    result = cloud.invoker.invoke(name, {"action": "env", "names": ["AWS_LAMBDA_LOG_GROUP_NAME"]})

    assert result.payload == {"AWS_LAMBDA_LOG_GROUP_NAME": group}
    assert any(m.startswith("START RequestId:") for m in cloud.messages(group))
    existing = cloud.logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")
    assert existing["logGroups"] == []


def test_emf_metrics_become_cloudwatch_metrics(
    cloud_of: Callable[..., Cloud], probe_spec: Callable[..., FunctionSpec]
) -> None:
    name, namespace = _unique("emf-fn"), _unique("LocalcloudProbe")
    cloud = cloud_of(probe_spec(function_name=name))
    before = datetime.now(UTC) - timedelta(minutes=1)

    for written in (3, 4):
        event = {
            "action": "metrics",
            "namespace": namespace,
            "metrics": {"RecordsWritten": written},
        }
        assert cloud.invoker.invoke(name, event).ok

    assert any('"RecordsWritten"' in m for m in cloud.messages(f"/aws/lambda/{name}"))
    stat = {
        "Metric": {
            "Namespace": namespace,
            "MetricName": "RecordsWritten",
            "Dimensions": [{"Name": "service", "Value": "probe"}],
        },
        "Period": 60,
        "Stat": "Sum",
        "Unit": "Count",
    }
    data = cloud.cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "written", "MetricStat": stat}],
        StartTime=before,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
    )
    assert sum(data["MetricDataResults"][0]["Values"]) == 7
    statistics = cloud.cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName="RecordsWritten",
        Dimensions=[{"Name": "service", "Value": "probe"}],
        StartTime=before,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=3600,
        Statistics=["Sum", "SampleCount"],
    )
    [point] = statistics["Datapoints"]
    assert (point["Sum"], point["SampleCount"], point["Unit"]) == (7, 2, "Count")


def test_invalid_emf_is_a_plain_line_and_the_next_metric_still_counts(
    cloud_of: Callable[..., Cloud], probe_spec: Callable[..., FunctionSpec]
) -> None:
    name, namespace = _unique("bad-emf-fn"), _unique("LocalcloudProbe")
    cloud = cloud_of(probe_spec(function_name=name))
    broken = json.dumps(
        {
            "_aws": {
                "Timestamp": "yesterday",
                "CloudWatchMetrics": [
                    {"Namespace": namespace, "Dimensions": [[]], "Metrics": [{"Name": "Broken"}]}
                ],
            },
            "Broken": 1,
        }
    )

    assert cloud.invoker.invoke(name, {"action": "print", "text": broken}).ok
    good = {"action": "metrics", "namespace": namespace, "metrics": {"Fine": 1}}
    assert cloud.invoker.invoke(name, good).ok

    assert broken in cloud.messages(f"/aws/lambda/{name}")
    listed = cloud.cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    assert [m["MetricName"] for m in listed] == ["Fine"]


def test_stop_delivers_every_line_queued_before_it(
    local_server: LocalCloudServer, probe_spec: Callable[..., FunctionSpec]
) -> None:
    name = _unique("burst-fn")
    # A long interval: nothing would be sent before stop() unless stop flushes.
    delivery = LogDelivery(local_server.url, "us-east-1", interval_s=60).start()
    invoker = LocalInvoker(
        {name: probe_spec(function_name=name)}, local_server.url, "us-east-1",
        log_delivery=delivery,
    )  # fmt: skip
    lines = "\n".join(f"line {i}" for i in range(500))
    result = invoker.invoke(name, {"action": "print", "text": lines})
    invoker.close()
    delivery.stop()

    logs = boto3.client("logs", endpoint_url=local_server.url)
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}")
    messages = [event["message"] for page in pages for event in page["events"]]
    printed = [f"line {i}" for i in range(500)]
    assert [m for m in messages if m.startswith("line ")] == [
        *printed,
        *printed[:-1],
        "line 499 (stderr)",
    ]
    assert f"END RequestId: {result.payload['request_id']}" in messages

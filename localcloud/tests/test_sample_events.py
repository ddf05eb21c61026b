"""Every sample event in events/ runs through the real handlers on the local cloud.

This is what `python -m localcloud invoke FUNCTION -e events/…` (our `sam local invoke`) does:
the real template deployed on moto, the real code in a worker subprocess. The last test runs
that command itself, as the README shows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from localcloud.clients import local_client
from localcloud.cloud import CloudOptions, LocalCloud
from localcloud.specs import InvokeResult

REPO_ROOT = Path(__file__).resolve().parents[2]
# `python -m localcloud` in a subprocess finds this checkout's package, whatever is installed.
PACKAGE_SRC = Path(__file__).resolve().parents[1] / "src"
EVENTS = REPO_ROOT / "events"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    options = CloudOptions(
        template=REPO_ROOT / "template.yaml",
        stack_name="sample-events",
        region="us-east-1",
        with_esm=False,  # invoke directly: no poller may race the assertions
        with_api=False,
        prewarm=False,
    )
    with LocalCloud(options) as running:
        yield running


def _invoke(cloud: LocalCloud, logical_id: str, event_file: str) -> InvokeResult:
    assert cloud.invoker is not None and cloud.stack is not None
    (name,) = [n for n, spec in cloud.stack.functions.items() if spec.logical_id == logical_id]
    event = json.loads((EVENTS / event_file).read_text())
    result = cloud.invoker.invoke(name, event)
    assert result.ok, result.payload
    return result


@pytest.mark.parametrize(
    ("logical_id", "event_file"),
    [
        ("RecordProcessorFunction", "record_stream/kinesis-single.json"),
        ("RecordProcessorFunction", "record_stream/kinesis-batch.json"),
        ("RecordProcessorFunction", "record_stream/kinesis-max-batch.json"),
        ("RecordProcessorFunction", "record_stream/kinesis-large-records.json"),
        # Invalid records are routed to the rejected-records queue, not retried.
        ("RecordProcessorFunction", "record_stream/kinesis-malformed.json"),
        ("ListenerFunction", "record_stream/dynamodb-stream-listener.json"),
        ("ProcessInputQueueFunction", "inbox_outbox/sqs-batch.json"),
    ],
)
def test_sample_event_is_processed_without_failures(
    cloud: LocalCloud, logical_id: str, event_file: str
) -> None:
    assert _invoke(cloud, logical_id, event_file).payload == {"batchItemFailures": []}


def test_malformed_sqs_messages_are_the_only_failures(cloud: LocalCloud) -> None:
    event = json.loads((EVENTS / "inbox_outbox/sqs-batch-with-malformed.json").read_text())
    failures = _invoke(
        cloud, "ProcessInputQueueFunction", "inbox_outbox/sqs-batch-with-malformed.json"
    )
    failed = {f["itemIdentifier"] for f in failures.payload["batchItemFailures"]}
    bodies = {r["messageId"]: r["body"] for r in event["Records"]}
    assert failed and failed < bodies.keys()
    for message_id in bodies.keys() - failed:
        body: dict[str, Any] = json.loads(bodies[message_id])
        assert body.get("type") != "malformed"


def _record_stream_sums(cloud: LocalCloud, names: tuple[str, ...]) -> dict[str, float]:
    """The sums of the record processor's metrics so far, as CloudWatch holds them."""
    assert cloud.log_delivery is not None and cloud.log_delivery.flush()
    cloudwatch = local_client("cloudwatch", cloud.endpoint_url, "us-east-1")
    now = datetime.now(UTC)
    sums = {}
    for name in names:
        points = cloudwatch.get_metric_statistics(
            Namespace="SamStreamsAndQueues",  # the template's POWERTOOLS_METRICS_NAMESPACE
            MetricName=name,
            Dimensions=[{"Name": "service", "Value": "record-stream"}],
            StartTime=now - timedelta(hours=1),
            EndTime=now + timedelta(hours=1),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        sums[name] = sum(point["Sum"] for point in points)
    return sums


def test_the_record_processors_emf_metrics_reach_cloudwatch(cloud: LocalCloud) -> None:
    names = ("RecordsReceived", "RecordsWritten", "RecordsFailed")
    records = len(json.loads((EVENTS / "record_stream/kinesis-batch.json").read_text())["Records"])
    before = _record_stream_sums(cloud, names)

    _invoke(cloud, "RecordProcessorFunction", "record_stream/kinesis-batch.json")

    after = _record_stream_sums(cloud, names)
    assert {name: after[name] - before[name] for name in names} == {
        "RecordsReceived": records,
        "RecordsWritten": records,
        "RecordsFailed": 0,
    }


@pytest.mark.parametrize(
    ("event_file", "status", "fragment"),
    [
        ("inbox_outbox/apigw-get-outbox.json", 200, None),
        ("inbox_outbox/apigw-get-outbox-bad-max.json", 400, "'max'"),
        ("inbox_outbox/apigw-get-outbox-bad-lease.json", 400, "'lease'"),
        ("inbox_outbox/apigw-post-outbox-acks-bad-body.json", 400, "Invalid request body"),
    ],
)
def test_outbox_proxy_events(
    cloud: LocalCloud, event_file: str, status: int, fragment: str | None
) -> None:
    response = _invoke(cloud, "CheckOutputQueueFunction", event_file).payload
    assert response["statusCode"] == status
    body = json.loads(response["body"])
    if status == 200:
        # The event asks for max=5; what the sqs-batch event forwarded may be waiting.
        assert body["count"] == len(body["messages"]) <= 5
        assert body["more"] is False
    else:
        assert fragment in body["message"]


@pytest.mark.parametrize(
    ("event_file", "key"),
    [
        ("inbox_outbox/apigw-post-outbox-acks.json", "acknowledged"),
        ("inbox_outbox/apigw-post-outbox-releases.json", "released"),
    ],
)
def test_outbox_receipt_events(cloud: LocalCloud, event_file: str, key: str) -> None:
    """The samples' receipts are made up: SQS refuses each one, and says so per receipt."""
    sent = json.loads(json.loads((EVENTS / event_file).read_text())["body"])["receipts"]
    response = _invoke(cloud, "CheckOutputQueueFunction", event_file).payload
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body[key] == []
    assert [failure["receipt"] for failure in body["failed"]] == sent


def test_localcloud_invoke_command_runs_a_sample_event(tmp_path: Path) -> None:
    # From an empty folder, so no running cloud's state is found: an ephemeral one comes up.
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_SRC)}
    event = EVENTS / "record_stream/kinesis-single.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "localcloud",
            "invoke",
            "RecordProcessorFunction",
            "-e",
            str(event),
            "--template",
            str(REPO_ROOT / "template.yaml"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"batchItemFailures": []}

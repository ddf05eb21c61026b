"""``localcloud up --persist`` as a user runs it: real subprocesses, the ledger project, free
ports; the cloud is stopped and started again, or killed with SIGKILL, between the checks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from localcloud.persistence.fingerprint import fingerprint
from localcloud.persistence.saved_state import STATE_FILE_NAME, SavedCloud, write
from localcloud.specs import DeployedStack

PACKAGE_SRC = Path(__file__).resolve().parents[1] / "src"
LEDGER = Path(__file__).resolve().parent / "projects" / "ledger"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_SRC), "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


class Ledger:
    """The ledger project's copy and the ports its cloud keeps across restarts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port, self.api_port = _free_port(), _free_port()
        self.saved = folder / ".localcloud" / STATE_FILE_NAME

    def up(self, *extra: str) -> subprocess.CompletedProcess[str]:
        ports = ("--port", str(self.port), "--api-port", str(self.api_port))
        return _cli(self.folder, "up", "--detach", "--persist", *ports, *extra)

    def stop(self) -> None:
        stopped = _cli(self.folder, "stop")
        assert stopped.returncode == 0, stopped.stderr

    def running_pid(self) -> int:
        return int(json.loads((self.folder / ".localcloud" / "state.json").read_text())["pid"])

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id="localcloud",
            aws_secret_access_key="localcloud-secret",
        )

    def outputs(self) -> dict[str, str]:
        stack = self.client("cloudformation").describe_stacks(StackName="ledger")["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}

    def deliveries(self, record: str) -> int:
        table = self.outputs()["DeliveriesTable"]
        item = self.client("dynamodb").get_item(TableName=table, Key={"record": {"S": record}})
        return int(item["Item"]["deliveries"]["N"]) if "Item" in item else 0

    def put_record(self, data: str) -> None:
        stream = self.outputs()["EventsStream"]
        self.client("kinesis").put_record(StreamName=stream, Data=data.encode(), PartitionKey="p")


def _eventually(check: Callable[[], Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"{check} did not happen in {timeout_s} s")


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    folder = tmp_path / "ledger"
    shutil.copytree(LEDGER, folder, ignore=shutil.ignore_patterns(".localcloud", "__pycache__"))
    project = Ledger(folder)
    yield project
    _cli(folder, "stop")


def test_stop_and_up_keep_the_stack_its_data_and_the_stream_position(ledger: Ledger) -> None:
    first = ledger.up()
    assert first.returncode == 0, first.stderr
    assert "State: new; saved in" in first.stdout
    outputs = ledger.outputs()
    # A saved cloud is its own stack as `up` deployed it: SAM CLI's deploys are refused.
    cfn = ledger.client("cloudformation")
    template = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'
    with pytest.raises(ClientError, match="--persist"):
        cfn.create_change_set(
            StackName="extra", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=template
        )
    with pytest.raises(ClientError, match="--persist"):
        cfn.delete_stack(StackName="ledger")
    assert cfn.describe_stacks(StackName="ledger")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    ddb, sqs = ledger.client("dynamodb"), ledger.client("sqs")
    ddb.put_item(TableName=outputs["ItemsTable"], Item={"pk": {"S": "kept"}, "n": {"N": "7"}})
    for body in ("job-1", "job-2", "job-3"):
        sqs.send_message(QueueUrl=outputs["JobsQueueUrl"], MessageBody=body)
    received = sqs.receive_message(QueueUrl=outputs["JobsQueueUrl"], VisibilityTimeout=900)
    assert len(received["Messages"]) == 1  # in flight for 15 minutes, across the restart
    ledger.put_record("before-stop")
    assert _eventually(lambda: ledger.deliveries("before-stop")) == 1
    # A shared test event as `sam remote test-event put` saves it (a Schemas schema).
    schemas, saved_event = ledger.client("schemas"), {"RegistryName": "lambda-testevent-schemas"}
    schemas.create_registry(**saved_event)
    content = json.dumps({"openapi": "3.0.0", "components": {"examples": {"e": {"value": {}}}}})
    schemas.create_schema(**saved_event, SchemaName="_fn-schema", Type="OpenApi3", Content=content)
    ledger.stop()

    again = ledger.up()
    assert again.returncode == 0, again.stderr
    assert "State: restored from" in again.stdout
    assert ledger.outputs() == outputs  # the same stack, not a fresh deploy with new names
    item = ddb.get_item(TableName=outputs["ItemsTable"], Key={"pk": {"S": "kept"}})["Item"]
    assert item["n"] == {"N": "7"}
    assert schemas.describe_schema(**saved_event, SchemaName="_fn-schema")["Content"] == content
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["JobsQueueUrl"], AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "2"
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    # The REST API keeps its id, so the API URL is the one `up` printed before.
    url = f"http://127.0.0.1:{ledger.api_port}/restapis/{outputs['ApiId']}/v1/_user_request_/ping"
    assert f"'{url}'" in again.stdout
    assert requests.get(url, timeout=30).text == "pong"
    # A record put after the restart is processed; the one processed before it, on the same
    # shard and so delivered first if the poller had restarted from TRIM_HORIZON, is not again.
    ledger.put_record("after-restart")
    assert _eventually(lambda: ledger.deliveries("after-restart")) == 1
    assert ledger.deliveries("before-stop") == 1

    # SIGKILL: no save on the way out, so what survives is the last periodic save's.
    ddb.put_item(TableName=outputs["ItemsTable"], Item={"pk": {"S": "before-kill"}})
    # Its key is in the file (pickled strings are stored as such) once a periodic save has it.
    _eventually(lambda: b"before-kill" in ledger.saved.read_bytes())
    os.kill(ledger.running_pid(), signal.SIGKILL)
    _eventually(lambda: not _listening(ledger.port))
    killed = ledger.up()
    assert killed.returncode == 0, killed.stderr
    assert "Item" in ddb.get_item(TableName=outputs["ItemsTable"], Key={"pk": {"S": "before-kill"}})


def test_mappings_as_the_api_left_them_survive_stop_and_up(ledger: Ledger) -> None:
    """Created at runtime, or the stack's own disabled and resized: all come back as they were,
    each resuming after its last processed record."""
    assert ledger.up().returncode == 0
    lam, kinesis = ledger.client("lambda"), ledger.client("kinesis")
    function = next(
        f["FunctionName"]
        for f in lam.list_functions()["Functions"]
        if "CountDeliveries" in f["FunctionName"]
    )
    kinesis.create_stream(StreamName="extra", ShardCount=1)
    extra = kinesis.describe_stream(StreamName="extra")["StreamDescription"]["StreamARN"]
    created = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=extra, StartingPosition="TRIM_HORIZON", BatchSize=7
    )
    kinesis.put_record(StreamName="extra", Data=b"extra-before", PartitionKey="p")
    ledger.put_record("stack-before")
    assert _eventually(lambda: ledger.deliveries("extra-before")) == 1
    assert _eventually(lambda: ledger.deliveries("stack-before")) == 1
    events = kinesis.describe_stream(StreamName=ledger.outputs()["EventsStream"])
    (stack,) = lam.list_event_source_mappings(
        EventSourceArn=events["StreamDescription"]["StreamARN"]
    )["EventSourceMappings"]
    lam.update_event_source_mapping(UUID=stack["UUID"], Enabled=False, BatchSize=3)
    _eventually(lambda: lam.get_event_source_mapping(UUID=stack["UUID"])["State"] == "Disabled")
    ledger.stop()

    again = ledger.up()
    assert again.returncode == 0, again.stderr
    assert "State: restored from" in again.stdout
    found = {m["UUID"]: m for m in lam.list_event_source_mappings()["EventSourceMappings"]}
    assert set(found) == {created["UUID"], stack["UUID"]}
    runtime, paused = found[created["UUID"]], found[stack["UUID"]]
    assert (runtime["State"], runtime["BatchSize"], runtime["LastProcessingResult"]) == (
        "Enabled",
        7,
        "OK",
    )
    assert (paused["State"], paused["BatchSize"]) == ("Disabled", 3)
    assert (
        paused["LastModified"] == lam.get_event_source_mapping(UUID=stack["UUID"])["LastModified"]
    )
    ledger.put_record("stack-while-paused")
    kinesis.put_record(StreamName="extra", Data=b"extra-after", PartitionKey="p")
    assert _eventually(lambda: ledger.deliveries("extra-after")) == 1
    assert ledger.deliveries("extra-before") == 1  # resumed after it, not from TRIM_HORIZON
    assert ledger.deliveries("stack-while-paused") == 0  # still disabled
    lam.update_event_source_mapping(UUID=stack["UUID"], Enabled=True)
    assert _eventually(lambda: ledger.deliveries("stack-while-paused")) == 1
    assert ledger.deliveries("stack-before") == 1


def _saved_file(ledger: Ledger) -> Path:
    """A saved cloud as ``up --persist`` writes it (the real writer), for this project's deploy."""
    stack = DeployedStack("ledger", "us-east-1", {}, {}, [], [])
    current = fingerprint(
        ledger.folder / "template.yaml",
        stack_name="ledger",
        region="us-east-1",
        config_env="local",
        parameter_overrides=(),
        port=ledger.port,
        api_port=ledger.api_port,
    )
    write(ledger.saved, SavedCloud(stack, b"", {}), current)
    return ledger.saved


def _refused(ledger: Ledger, *expected: str) -> None:
    before = ledger.saved.read_bytes()
    result = ledger.up()
    assert result.returncode == 1
    assert f"cannot restore the saved local cloud {ledger.saved}" in result.stderr
    assert "localcloud up --persist --reset" in result.stderr
    for words in expected:
        assert words in result.stderr
    # Nothing started, nothing half-restored, and the file is left for the user to decide.
    assert not (ledger.folder / ".localcloud" / "state.json").exists()
    assert not _listening(ledger.port)
    assert not _listening(ledger.api_port)
    assert ledger.saved.read_bytes() == before


def test_a_truncated_file_is_refused_with_nothing_started(ledger: Ledger) -> None:
    path = _saved_file(ledger)
    path.write_bytes(path.read_bytes()[:-10])
    _refused(ledger, "truncated or damaged")


def test_a_file_from_another_moto_is_refused(ledger: Ledger) -> None:
    path = _saved_file(ledger)
    header, payload = path.read_bytes().split(b"\n", 1)
    magic, fields = header.split(b" ", 1)
    parsed = json.loads(fields)
    parsed["versions"]["moto"] = "4.0.0"
    path.write_bytes(magic + b" " + json.dumps(parsed).encode() + b"\n" + payload)
    _refused(ledger, "saved by another version: moto '4.0.0'")


def test_a_changed_template_is_refused_naming_the_change(ledger: Ledger) -> None:
    _saved_file(ledger)
    template = ledger.folder / "template.yaml"
    template.write_text(
        template.read_text().replace(
            "  Jobs:\n    Type: AWS::SQS::Queue\n",
            "  Jobs:\n    Type: AWS::SQS::Queue\n\n  MoreJobs:\n    Type: AWS::SQS::Queue\n",
        )
    )
    _refused(ledger, "resources added in the template: MoreJobs", "not redeployed as an update")


def test_a_file_others_can_write_is_refused(ledger: Ledger) -> None:
    path = _saved_file(ledger)
    path.chmod(0o666)
    _refused(ledger, "writable by others")


def test_a_content_that_does_not_load_is_refused(ledger: Ledger) -> None:
    _saved_file(ledger)  # an empty moto snapshot: every check passes until it loads
    _refused(ledger, "moto's state does not load")


def test_reset_without_persist_is_a_usage_error(ledger: Ledger) -> None:
    result = _cli(ledger.folder, "up", "--reset")
    assert result.returncode != 0
    assert "--state-dir and --reset go with --persist" in result.stderr

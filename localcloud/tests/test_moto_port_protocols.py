"""What stock clients meet on the moto port: HTTP/2 cleartext beside HTTP/1.1, and queue URLs that
lead back to the local cloud.

curl stands in for the JavaScript SDK's HTTP/2 (the conformance suite runs the SDK itself): it
speaks prior knowledge (``--http2-prior-knowledge``, as the SDK does) and the ``Upgrade: h2c``
dance (``--http2`` on an ``http://`` URL).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import boto3
import pytest

from localcloud.server import LocalCloudServer

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

REGION = "us-east-1"


def _authorization(service: str) -> str:
    # moto reads the service and region from the credential scope; it does not check signatures.
    return (
        f"Authorization: AWS4-HMAC-SHA256 Credential=testing/20261201/{REGION}/{service}/"
        "aws4_request, SignedHeaders=host, Signature=0"
    )


def _curl(url: str, *options: str) -> tuple[str, str]:
    """(HTTP version the answer came in, its body)."""
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "20", *options, url, "-w", "\n%{http_version} %{http_code}"],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    body, _, status_line = done.stdout.rpartition("\n")
    version, code = status_line.split()
    assert code == "200", done.stdout
    return version, body


def _describe_stream(name: str, *options: str) -> tuple[str, ...]:
    return (
        *options,
        *("-H", "Content-Type: application/x-amz-json-1.1"),
        *("-H", "X-Amz-Target: Kinesis_20131202.DescribeStreamSummary"),
        *("-H", _authorization("kinesis")),
        *("-d", json.dumps({"StreamName": name})),
    )


@pytest.mark.parametrize(
    ("options", "version"),
    [((), "1.1"), (("--http2-prior-knowledge",), "2")],
    ids=["http1.1", "h2c-prior-knowledge"],
)
def test_the_moto_port_answers_http1_and_http2_prior_knowledge(
    local_server: LocalCloudServer, options: tuple[str, ...], version: str
) -> None:
    name = f"protocol-{version}"
    boto3.client("kinesis", endpoint_url=local_server.url, region_name=REGION).create_stream(
        StreamName=name, ShardCount=1
    )

    answered_in, body = _curl(local_server.url, *_describe_stream(name, *options))

    assert answered_in == version
    assert json.loads(body)["StreamDescriptionSummary"]["StreamName"] == name


def test_the_moto_port_upgrades_a_bodiless_request_to_h2c(local_server: LocalCloudServer) -> None:
    # RFC 9113 dropped the upgrade, RFC 7540 lets a server answer a request with a body in
    # HTTP/1.1 (hypercorn does): the upgrade is for a first request without one.
    bucket = "protocol-upgrade"
    boto3.client("s3", endpoint_url=local_server.url, region_name=REGION).create_bucket(
        Bucket=bucket
    )

    answered_in, body = _curl(local_server.url, "--http2", "-H", _authorization("s3"))

    assert answered_in == "2"
    assert f"<Name>{bucket}</Name>" in body


def test_a_stacks_queue_urls_point_at_the_local_cloud(local_server: LocalCloudServer) -> None:
    # Another server in this process came and went (as a test's cloud does): the URLs stay
    # those of the one still running.
    gone = LocalCloudServer(port=0)
    gone.start()
    gone.stop()
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "ByRef": {"Value": {"Ref": "Queue"}},
            "ByGetAtt": {"Value": {"Fn::GetAtt": ["Queue", "QueueUrl"]}},
        },
    }
    cloudformation = boto3.client(
        "cloudformation", endpoint_url=local_server.url, region_name=REGION
    )
    cloudformation.create_stack(StackName="queue-urls", TemplateBody=json.dumps(template))
    stack = cloudformation.describe_stacks(StackName="queue-urls")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    resource = cloudformation.describe_stack_resource(
        StackName="queue-urls", LogicalResourceId="Queue"
    )["StackResourceDetail"]

    assert outputs["ByRef"] == outputs["ByGetAtt"] == resource["PhysicalResourceId"]
    assert outputs["ByRef"].startswith(f"{local_server.url}/123456789012/")
    # A client that sends to the URL's own host (the JavaScript SDK's default) reaches the queue.
    sqs = boto3.client("sqs", endpoint_url=local_server.url, region_name=REGION)
    assert (
        sqs.get_queue_url(QueueName=outputs["ByRef"].rsplit("/", 1)[1])["QueueUrl"]
        == (outputs["ByRef"])
    )
    sqs.send_message(QueueUrl=outputs["ByRef"], MessageBody="to the local cloud")
    received = sqs.receive_message(QueueUrl=outputs["ByRef"], WaitTimeSeconds=1)
    assert [m["Body"] for m in received["Messages"]] == ["to the local cloud"]


def test_s3_metadata_names_keep_their_underscores(local_server: LocalCloudServer) -> None:
    # WSGI folds "_" and "-" together; moto records the names as sent (moto_internals.header_names).
    s3 = boto3.client("s3", endpoint_url=local_server.url, region_name=REGION)
    s3.create_bucket(Bucket="protocol-metadata")
    s3.put_object(
        Bucket="protocol-metadata", Key="k", Body=b"x" * 100, Metadata={"my_key": "a", "b-c": "d"}
    )

    head = s3.head_object(Bucket="protocol-metadata", Key="k")

    assert head["Metadata"] == {"my_key": "a", "b-c": "d"}
    assert head["ContentLength"] == 100  # a HEAD answer's length is the object's

"""Render the README's architecture and test-pattern diagrams from code.

Run `make diagrams` (or `.venv/bin/python img/generate.py`) after changing template.yaml,
the tests or the local cloud, and commit the PNGs it writes next to this file:

    record-stream.png               the record stream system under test
    inbox-outbox.png                the inbox/outbox API and its queues
    unit-test-flow.png              how a unit test exercises a handler under moto
    integration-event-listener.png  how the integration suite observes the record stream
    local-cloud.png                 how `python -m localcloud up` runs template.yaml locally

The `diagrams` package drives Graphviz's `dot`; without it nothing can be drawn, so the
script checks for it first and says how to install it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from diagrams import Cluster, Diagram, Edge, Node
from diagrams.aws.analytics import KinesisDataStreams
from diagrams.aws.compute import Lambda
from diagrams.aws.database import Dynamodb, DynamodbStreams
from diagrams.aws.devtools import CommandLineInterface
from diagrams.aws.integration import SQS
from diagrams.aws.management import Cloudformation
from diagrams.aws.network import APIGateway
from diagrams.aws.security import KMS, IAMRole
from diagrams.onprem.client import Client
from diagrams.onprem.compute import Server
from diagrams.programming.flowchart import MultipleDocuments
from diagrams.programming.language import Python

IMG_DIR = Path(__file__).resolve().parent
GRAPHVIZ_HINT = "install Graphviz: apt-get install graphviz / brew install graphviz"

# Edge styles, one per kind of arrow, so the same meaning looks the same in every picture.
FAILURE = {"color": "#C0392B", "fontcolor": "#C0392B", "style": "dashed"}
HARNESS = {"color": "#2471A3", "fontcolor": "#2471A3"}
CONTROL = {"color": "#7D3C98", "fontcolor": "#7D3C98", "style": "dotted"}

# Curved splines place edge labels next to their edges (the default orthogonal router
# cannot and scatters them); the small pad keeps the PNGs tight.
GRAPH_ATTR = {
    "splines": "spline",
    "pad": "0.3",
    "nodesep": "0.5",
    "ranksep": "1.0",
    "fontsize": "20",
    "labelloc": "t",
    "dpi": "80",
}
NOTE_ATTR = {
    "shape": "note",
    "labelloc": "c",
    "style": "filled",
    "fillcolor": "#FFF9DB",
    "color": "#B7950B",
    "fixedsize": "false",
    "labeljust": "l",
    "fontsize": "12",
    "margin": "0.15,0.1",
}
# Our own code (no AWS icon fits): a plain box sized to its label.
CODE_ATTR = {
    "shape": "box",
    "style": "rounded,filled",
    "fillcolor": "#F4ECF7",
    "color": "#7D3C98",
    "fixedsize": "false",
    "labelloc": "c",
    "fontsize": "13",
    "margin": "0.2,0.12",
}
TEST_CLUSTER = {"bgcolor": "#EAF2F8", "pencolor": "#2471A3", "style": "dashed,rounded"}


def require_graphviz() -> None:
    """Stop with an install hint when Graphviz's `dot` is not on PATH."""
    if shutil.which("dot") is None:
        raise SystemExit(f"img/generate.py: Graphviz 'dot' not found on PATH; {GRAPHVIZ_HINT}")


@contextmanager
def diagram(stem: str, title: str) -> Iterator[Path]:
    """Draw one left-to-right diagram into IMG_DIR/<stem>.png (never opened in a viewer)."""
    with Diagram(
        title,
        filename=str(IMG_DIR / stem),
        direction="LR",
        outformat="png",
        show=False,
        graph_attr=GRAPH_ATTR,
    ):
        yield IMG_DIR / f"{stem}.png"


def flow(source: Any, target: Any, label: str = "", **style: str) -> None:
    """Draw an arrow from source to target with an optional label and style."""
    source >> Edge(label=label, **style) >> target


def note(nodeid: str, text: str) -> Any:
    """A sticky note: text that explains the picture rather than a component of it."""
    # Graphviz's "\\l" ends a left-aligned line; notes read better ragged-right.
    return Node(text.replace("\n", "\\l") + "\\l", nodeid=nodeid, **NOTE_ATTR)


def code(nodeid: str, text: str) -> Any:
    """A piece of this repository's code (a module layer, a local-cloud component)."""
    return Node(text, nodeid=nodeid, **CODE_ATTR)


def draw_record_stream() -> Path:
    """Kinesis -> RecordProcessor -> DynamoDB, its failure paths and the test-only listener."""
    with diagram("record-stream", "Record stream: system under test") as png:
        producer = Python("producer\n(PutRecords)", nodeid="producer")
        with Cluster("Record stream (always deployed)"):
            key = KMS("alias/aws/kinesis", nodeid="kms")
            stream = KinesisDataStreams("RecordsStream\n(KMS-encrypted)", nodeid="stream")
            processor = Lambda("RecordProcessorFunction", nodeid="processor")
            table = Dynamodb("ProcessedRecordsTable\n(PK batch, SK id)", nodeid="table")
            rejected = SQS("RejectedRecordsQueue", nodeid="rejected")
            failures = SQS("RecordProcessorFailureQueue", nodeid="failures")
        with Cluster("Test harness (only when DeployTestResources=true)", graph_attr=TEST_CLUSTER):
            table_stream = DynamodbStreams("table stream\n(NEW_IMAGE)", nodeid="table_stream")
            listener = Lambda("ListenerFunction", nodeid="listener")
            listener_table = Dynamodb("ListenerTable\n(TTL expires_at)", nodeid="listener_table")

        flow(producer, stream, "records {batch, id}")
        flow(key, stream, "encrypts", style="dotted")
        flow(
            stream,
            processor,
            "ESM: BatchSize 1000\nReportBatchItemFailures\nbisect on error, 5 retries",
        )
        # Happy path first: Graphviz stacks a node's targets in edge order, top to bottom.
        flow(processor, table, "valid records\n(BatchWriteItem)")
        flow(processor, rejected, "invalid records\n+ reason", **FAILURE)
        flow(processor, failures, "OnFailure: batch metadata\nafter retries run out", **FAILURE)
        flow(table, table_stream, "INSERT / MODIFY", **HARNESS)
        flow(table_stream, listener, "ESM: BatchSize 1000", **HARNESS)
        flow(listener, listener_table, "item + timings", **HARNESS)
    return png


def draw_inbox_outbox() -> Path:
    """POST /inbox straight into SQS, a worker Lambda, and the outbox routes that lease the
    output (GET /outbox) and settle each lease (POST /outbox/acks deletes, /releases hands back)."""
    with diagram("inbox-outbox", "Inbox / outbox: system under test") as png:
        client = Client("client\n(SigV4-signed)", nodeid="client")
        with Cluster("API Gateway REST API (AWS_IAM auth)"):
            api = APIGateway("InboxOutboxApi", nodeid="api")
            validator = note(
                "validator",
                "POST /inbox:\n"
                "- body validator + InboxMessage model\n"
                "  (invalid body -> 400, never queued)\n"
                "- direct SQS integration (VTL template)\n"
                "outbox routes: Lambda proxy\n"
                "- GET /outbox?max&lease: lease, delete nothing\n"
                "- POST /outbox/acks: delete those receipts\n"
                "- POST /outbox/releases: hand them back",
            )
            role = IAMRole("InboxApiSqsRole\n(sqs:SendMessage only)", nodeid="role")
        with Cluster("Inbox"):
            input_queue = SQS("InputQueue", nodeid="input_queue")
            process = Lambda("ProcessInputQueueFunction", nodeid="process")
            input_dlq = SQS("InputQueueDLQ", nodeid="input_dlq")
        with Cluster("Outbox"):
            output_queue = SQS("OutputQueue", nodeid="output_queue")
            output_dlq = SQS("OutputQueueDLQ", nodeid="output_dlq")
            check = Lambda("CheckOutputQueueFunction", nodeid="check")

        flow(
            client,
            api,
            "POST /inbox\nGET /outbox?max&lease\nPOST /outbox/acks\nPOST /outbox/releases",
        )
        api - Edge(style="dotted") - validator
        flow(api, role, "integration\ncredentials", **CONTROL)
        flow(role, input_queue, "SendMessage")
        flow(input_queue, process, "ESM: BatchSize 10\nReportBatchItemFailures")
        flow(input_queue, input_dlq, "redrive after\n5 receives", **FAILURE)
        flow(process, output_queue, "valid messages")
        flow(output_queue, output_dlq, "redrive after\n5 receives", **FAILURE)
        flow(api, check, "GET /outbox\nPOST /outbox/acks\nPOST /outbox/releases")
        flow(
            check,
            output_queue,
            "lease (receive with a visibility\n"
            "timeout); delete acked receipts;\n"
            "release (visibility 0)",
        )
    return png


def draw_unit_test_flow() -> Path:
    """A unit test: sample event -> real handler code -> moto in-process -> assertions."""
    with diagram("unit-test-flow", "Unit tests: real handler code against moto") as png:
        pytest = Python("pytest\n(tests/unit)", nodeid="pytest")
        events = MultipleDocuments("sample events\nevents/**/*.json", nodeid="events")
        with Cluster("Lambda code package (unchanged)"):
            handler = code("handlers", "handlers\n(parse with Powertools)")
            logic = code("logic", "logic\n(pure, no AWS)")
            dal = code("dal", "dal\n(boto3)")
        with Cluster("moto mock_aws (in-process, no network)", graph_attr=TEST_CLUSTER):
            ddb = Dynamodb("DynamoDB tables", nodeid="ddb")
            sqs = SQS("SQS queues", nodeid="sqs")
        asserts = note(
            "asserts",
            "assertions on\n- items written\n- messages queued\n- batchItemFailures returned",
        )

        flow(pytest, events, "load + vary")
        flow(events, handler, "lambda_handler(event,\nLambdaContext)")
        flow(handler, logic)
        flow(logic, dal)
        flow(dal, ddb, "put / batch write")
        flow(dal, sqs, "send")
        flow(ddb, asserts, "scan / get", **HARNESS)
        flow(sqs, asserts, "receive", **HARNESS)
        flow(handler, asserts, "partial batch\nresponse", **HARNESS)
    return png


def draw_integration_event_listener() -> Path:
    """The event-listener pattern: observe the pipeline's output through a test-only table."""
    title = "Integration tests: observing the record stream through the event listener"
    with diagram("integration-event-listener", title) as png:
        test = Python("integration test\n(unique batch id)", nodeid="test")
        with Cluster("Stack under test (DeployTestResources=true)"):
            stream = KinesisDataStreams("RecordsStream", nodeid="stream")
            processor = Lambda("RecordProcessor", nodeid="processor")
            table = Dynamodb("ProcessedRecordsTable", nodeid="table")
            with Cluster("Test harness", graph_attr=TEST_CLUSTER):
                table_stream = DynamodbStreams("DynamoDB stream", nodeid="table_stream")
                listener = Lambda("Listener", nodeid="listener")
                listener_table = Dynamodb("ListenerTable", nodeid="listener_table")
        where = note(
            "where",
            "Same suite, two clouds:\n"
            "- AWS_SAM_STACK_NAME names the stack; its outputs give every resource name\n"
            "- AWS_ENDPOINT_URL unset -> the stack in AWS\n"
            "- AWS_ENDPOINT_URL=http://127.0.0.1:4566 -> the local cloud\n"
            "  (moto server + worker processes + pollers + API front)",
        )

        flow(test, stream, "put_records")
        flow(stream, processor)
        flow(processor, table)
        flow(table, table_stream, **HARNESS)
        flow(table_stream, listener, **HARNESS)
        flow(listener, listener_table, **HARNESS)
        flow(test, listener_table, "long-poll query by batch\nuntil every id arrived", **HARNESS)
        test - Edge(style="dotted") - where
    return png


def draw_local_cloud() -> Path:
    """What `python -m localcloud up` starts and how clients reach it."""
    with diagram("local-cloud", "Local cloud: template.yaml without Docker or AWS") as png:
        cli = Python("python -m\nlocalcloud up", nodeid="cli")
        with Cluster("clients", graph_attr=TEST_CLUSTER):
            tests = Python("integration tests", nodeid="tests")
            aws_cli = CommandLineInterface("aws CLI / boto3", nodeid="aws_cli")
        with Cluster("localcloud process"):
            translator = code("sam", "samtranslator\n(SAM ->\nCloudFormation)")
            front = APIGateway("API front\n127.0.0.1:4567\nSigV4, validation, VTL", nodeid="front")
            with Cluster("embedded moto server 127.0.0.1:4566"):
                cfn = Cloudformation("CloudFormation\n(create_stack)", nodeid="cfn")
                services = Server("Kinesis, SQS,\nDynamoDB,\nDDB Streams, S3", nodeid="moto")
            pollers = code(
                "pollers", "pollers (the template's ESMs)\nKinesis shards\nDynamoDB stream\nSQS"
            )
        with Cluster("worker subprocesses (per function)"):
            workers = Lambda("real handlers\n(AWS_ENDPOINT_URL\n-> moto)", nodeid="workers")

        flow(cli, translator, "template.yaml")
        flow(translator, cfn, "deploy\n(with fixups)", **CONTROL)
        flow(cfn, services, "creates\nresources", **CONTROL)
        flow(tests, services, "AWS_ENDPOINT_URL=\nhttp://127.0.0.1:4566")
        flow(aws_cli, services, "--endpoint-url")
        flow(tests, front, "SigV4-signed HTTP")
        flow(front, services, "SendMessage")
        flow(front, workers, "Lambda proxy")
        flow(services, pollers, "GetRecords /\nReceiveMessage")
        flow(pollers, workers, "invoke batch")
        # Drawn against the flow; without constraint=false it would drag workers leftwards.
        flow(workers, services, "boto3 calls", constraint="false")
    return png


DRAWINGS: tuple[Callable[[], Path], ...] = (
    draw_record_stream,
    draw_inbox_outbox,
    draw_unit_test_flow,
    draw_integration_event_listener,
    draw_local_cloud,
)


def main() -> int:
    """Render every diagram and list the files written."""
    require_graphviz()
    for draw in DRAWINGS:
        png = draw()
        sys.stdout.write(f"wrote {png.relative_to(IMG_DIR.parent)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""SQS dead-letter queue redrive: ``StartMessageMoveTask``, ``ListMessageMoveTasks``,
``CancelMessageMoveTask``, which moto 5.2.5 lacks.

The README's way to replay a DLQ after fixing the cause is ``aws sqs start-message-move-task
--source-arn <DLQ arn>``; this serves it on the moto port, in SQS's JSON protocol (what boto3
and the AWS CLI send). As in SQS:

- the source must be a dead-letter queue: some queue's ``RedrivePolicy`` names it;
- without ``DestinationArn`` the messages go back to the queue they came from. SQS remembers
  each message's source; moto does not, so locally the source queue is the one queue whose
  ``RedrivePolicy`` names the DLQ (with several, give ``DestinationArn``);
- a task moves the messages present when it starts (``ApproximateNumberOfMessagesToMove``),
  oldest first, in batches of 10, at most ``MaxNumberOfMessagesPerSecond`` a second if set;
  each message is sent (body, message attributes, FIFO group) before it is deleted from the
  DLQ, so a failure leaves it in one queue or both, never in none;
- one active task per source queue; ``ListMessageMoveTasks`` shows the newest first
  (``MaxResults`` 1 by default, at most 10); only a running task can be cancelled.

The task talks to the server like any client (boto3 over HTTP), so moto's locking and the
fault rules apply to it as to everyone else.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from localcloud.clients import local_client
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

log = logging.getLogger(__name__)

Reply = tuple[str, list[tuple[str, str]], bytes]

TARGET_PREFIX = "AmazonSQS."
OPERATIONS = ("StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask")
MAX_LIST_RESULTS = 10
_BATCH = 10


class SqsError(Exception):
    def __init__(self, code: str, message: str, status: str = "400 Bad Request") -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _new_handle() -> str:
    # Opaque to clients, like SQS's (base64 of a small JSON document).
    return base64.b64encode(json.dumps({"taskId": str(uuid.uuid4())}).encode()).decode()


@dataclass
class MoveTask:
    source_arn: str
    destination_arn: str  # resolved
    destination_given: bool
    max_per_second: int | None
    to_move: int
    handle: str = field(default_factory=_new_handle)
    started_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)
    status: str = "RUNNING"
    moved: int = 0
    failure: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def entry(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            result["TaskHandle"] = self.handle
        if self.destination_given:
            result["DestinationArn"] = self.destination_arn
        if self.max_per_second is not None:
            result["MaxNumberOfMessagesPerSecond"] = self.max_per_second
        if self.failure:
            result["FailureReason"] = self.failure
        return result


class MessageMoveTasks:
    """The tasks of one local cloud, and the threads that run them."""

    def __init__(self, endpoint_url: Callable[[], str], region: str = "us-east-1") -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._tasks: list[MoveTask] = []
        self._lock = threading.Lock()

    def _sqs(self) -> Any:
        return local_client(
            "sqs",
            self._endpoint_url(),
            self._region,
            Config(retries={"mode": "standard", "max_attempts": 3}),
        )

    # -- operations

    def start_task(self, request: dict[str, Any]) -> dict[str, Any]:
        source_arn = _required(request, "SourceArn")
        destination_arn = request.get("DestinationArn")
        rate = request.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and (not isinstance(rate, int) or not 1 <= rate <= 500):
            raise SqsError("InvalidParameterValue", "MaxNumberOfMessagesPerSecond is 1 to 500")
        sqs = self._sqs()
        source_url = self._url(sqs, source_arn, "SourceArn")
        sources = self._queues_redriving_to(sqs, source_arn)
        if not sources:
            raise SqsError(
                "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."
            )
        if destination_arn is None:
            if len(sources) > 1:
                raise SqsError(
                    "InvalidParameterValue",
                    "localcloud cannot tell which of several source queues each message came "
                    f"from ({', '.join(sorted(sources))}): give DestinationArn",
                )
            destination = sources[0]
        else:
            destination = str(destination_arn)
        destination_url = self._url(sqs, destination, "DestinationArn")
        depth = sqs.get_queue_attributes(
            QueueUrl=source_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        task = MoveTask(
            source_arn=source_arn,
            destination_arn=destination,
            destination_given=destination_arn is not None,
            max_per_second=rate,
            to_move=int(depth),
        )
        with self._lock:
            if any(t.source_arn == source_arn and t.status == "RUNNING" for t in self._tasks):
                raise SqsError(
                    "UnsupportedOperation",
                    "There is already a task running. Only one active task is allowed for a "
                    "source queue arn at a given time.",
                )
            self._tasks.append(task)
        threading.Thread(
            target=self._run,
            args=(task, source_url, destination_url),
            name="sqs-move-task",
            daemon=True,
        ).start()
        log.info("message move task: %s -> %s (%d)", source_arn, destination, task.to_move)
        return {"TaskHandle": task.handle}

    def list_tasks(self, request: dict[str, Any]) -> dict[str, Any]:
        source_arn = _required(request, "SourceArn")
        limit = request.get("MaxResults", 1)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIST_RESULTS:
            raise SqsError("InvalidParameterValue", "MaxResults is 1 to 10")
        self._url(self._sqs(), source_arn, "SourceArn")
        with self._lock:
            tasks = [t for t in reversed(self._tasks) if t.source_arn == source_arn][:limit]
            return {"Results": [task.entry() for task in tasks]}

    def cancel_task(self, request: dict[str, Any]) -> dict[str, Any]:
        handle = _required(request, "TaskHandle")
        with self._lock:
            task = next((t for t in self._tasks if t.handle == handle), None)
            if task is None:
                raise SqsError("ResourceNotFoundException", "Task does not exist.")
            if task.status != "RUNNING":
                raise SqsError("UnsupportedOperation", "Only active tasks can be cancelled.")
            task.status = "CANCELLING"
            task.cancel.set()
            return {"ApproximateNumberOfMessagesMoved": task.moved}

    # -- the move

    def _run(self, task: MoveTask, source_url: str, destination_url: str) -> None:
        sqs = self._sqs()
        try:
            while not task.cancel.is_set() and task.moved < task.to_move:
                started = time.monotonic()
                wanted = min(_BATCH, task.to_move - task.moved, task.max_per_second or _BATCH)
                messages: list[dict[str, Any]] = sqs.receive_message(
                    QueueUrl=source_url,
                    MaxNumberOfMessages=wanted,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=0,
                ).get("Messages", [])
                if not messages:
                    break  # the rest were received by someone else or expired
                self._move(sqs, messages, source_url, destination_url)
                with self._lock:
                    task.moved += len(messages)
                if task.max_per_second:
                    budget_s = len(messages) / task.max_per_second
                    task.cancel.wait(max(0.0, budget_s - (time.monotonic() - started)))
        except Exception as error:
            log.exception("message move task from %s failed", task.source_arn)
            with self._lock:
                task.status, task.failure = "FAILED", f"{type(error).__name__}: {error}"[:500]
            return
        with self._lock:
            task.status = "CANCELLED" if task.cancel.is_set() else "COMPLETED"
        log.info("move task from %s: %s, %d moved", task.source_arn, task.status, task.moved)

    @staticmethod
    def _move(
        sqs: Any, messages: list[dict[str, Any]], source_url: str, destination_url: str
    ) -> None:
        """Sends the messages on, then deletes from the source exactly the ones sent."""
        fifo = destination_url.endswith(".fifo")
        entries = []
        for i, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            attributes = message.get("Attributes", {})
            if fifo:
                entry["MessageGroupId"] = attributes.get("MessageGroupId", "redrive")
                entry["MessageDeduplicationId"] = attributes.get(
                    "MessageDeduplicationId", message["MessageId"]
                )
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=destination_url, Entries=entries)
        done = {entry["Id"] for entry in sent.get("Successful", [])}
        if done:
            sqs.delete_message_batch(
                QueueUrl=source_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                    if str(i) in done
                ],
            )
        if sent.get("Failed"):
            # The unsent ones stay in the DLQ and reappear after their visibility timeout.
            raise RuntimeError(f"sending to {destination_url} failed: {sent['Failed']}")

    # -- queues

    @staticmethod
    def _url(sqs: Any, arn: str, parameter: str) -> str:
        parts = arn.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            raise SqsError("InvalidParameterValue", f"{parameter} is not an SQS queue ARN: {arn}")
        try:
            return str(
                sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
            )
        except sqs.exceptions.QueueDoesNotExist:
            raise SqsError(
                "ResourceNotFoundException",
                f"The resource that you specified for the {parameter} parameter doesn't exist.",
            ) from None

    @staticmethod
    def _queues_redriving_to(sqs: Any, dlq_arn: str) -> list[str]:
        """ARNs of the queues whose RedrivePolicy sends to ``dlq_arn``."""
        found = []
        for page in sqs.get_paginator("list_queues").paginate():
            for url in page.get("QueueUrls", []):
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"]
                )["Attributes"]
                policy = json.loads(attributes.get("RedrivePolicy") or "{}")
                if policy.get("deadLetterTargetArn") == dlq_arn:
                    found.append(attributes["QueueArn"])
        return found


def _required(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise SqsError("MissingParameter", f"The request must contain the parameter {name}.")
    return value


class MessageMoveTaskMiddleware:
    """Answers the three operations in SQS's JSON protocol; passes everything else on."""

    def __init__(self, app: WsgiApp, tasks: MessageMoveTasks) -> None:
        self.app = app
        self.tasks = tasks
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "StartMessageMoveTask": tasks.start_task,
            "ListMessageMoveTasks": tasks.list_tasks,
            "CancelMessageMoveTask": tasks.cancel_task,
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        handler = self._handlers.get(target.removeprefix(TARGET_PREFIX))
        if handler is None or not target.startswith(TARGET_PREFIX):
            return self.app(environ, start_response)
        raw = read_body(environ)
        try:
            request = json.loads(raw or b"{}")
            if not isinstance(request, dict):
                raise SqsError("InvalidParameterValue", "the request body must be a JSON object")
            reply = _reply("200 OK", handler(request))
        except SqsError as error:
            reply = _error(error)
        except ValueError:
            reply = _error(SqsError("InvalidParameterValue", "the request body is not JSON"))
        status, headers, body = reply
        start_response(status, headers)
        return [body]


def _reply(status: str, document: dict[str, Any]) -> Reply:
    body = json.dumps(document).encode()
    return (
        status,
        [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("Content-Length", str(len(body))),
        ],
        body,
    )


def _error(error: SqsError) -> Reply:
    status, headers, body = _reply(
        error.status, {"__type": f"com.amazonaws.sqs#{error.code}", "message": str(error)}
    )
    # Query-compatible clients (boto3, the CLI) read the error code from this header.
    return status, [*headers, ("x-amzn-query-error", f"{error.code};Sender")], body

"""Input-queue calls the process-input function makes besides the event source mapping's own."""

from __future__ import annotations

from inbox_outbox.dal.clients import sqs_client


def queue_url_from_arn(queue_arn: str) -> str:
    """SQS queue URL for a queue ARN (arn:<partition>:sqs:<region>:<account>:<name>).

    Derived rather than looked up: GetQueueUrl would need another permission and a call per
    container. SQS identifies the queue by the URL's account and name path, which is also what
    moto reads, so the derived URL works against a local endpoint as well.
    """
    parts = queue_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        raise ValueError(f"not an SQS queue ARN: {queue_arn!r}")
    _, partition, _, region, account, name = parts
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{domain}/{account}/{name}"


def change_visibility(queue_url: str, receipt_handle: str, timeout_s: int) -> None:
    """Make a received message visible again after `timeout_s` seconds (0: at once)."""
    sqs_client().change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=timeout_s
    )

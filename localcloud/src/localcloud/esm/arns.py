"""ARN parsing and the ARNs Lambda puts into events and failure records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(arn: str) -> Arn:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    _, partition, service, region, account, resource = parts
    return Arn(partition, service, region, account, resource)


def function_arn(source_arn: str, function_name: str) -> str:
    """The function's ARN in the event source's partition, region and account."""
    if function_name.startswith("arn:"):
        return function_name
    src = parse_arn(source_arn)
    return f"arn:{src.partition}:lambda:{src.region}:{src.account}:function:{function_name}"


def kinesis_stream_name(stream_arn: str) -> str:
    # arn:aws:kinesis:region:account:stream/NAME
    return parse_arn(stream_arn).resource.split("/", 1)[1]


def dynamodb_table_name(table_or_stream_arn: str) -> str:
    # arn:aws:dynamodb:region:account:table/NAME[/stream/LABEL]
    return parse_arn(table_or_stream_arn).resource.split("/", 2)[1]


def sqs_queue_name(queue_arn: str) -> str:
    # arn:aws:sqs:region:account:NAME
    return parse_arn(queue_arn).resource

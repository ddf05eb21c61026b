"""Resolve the stack under test from CloudFormation outputs; nothing is hard-coded.

The same code runs against AWS and the local cloud: boto3 honours ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3
from botocore.exceptions import ClientError, NoCredentialsError

STACK_ENV = "AWS_SAM_STACK_NAME"


class StackNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class Stack:
    name: str
    region: str
    outputs: dict[str, str]

    def output(self, key: str) -> str:
        try:
            return self.outputs[key]
        except KeyError:
            raise StackNotFound(
                f"stack {self.name!r} has no output {key!r} (outputs: {sorted(self.outputs)}); "
                "was it deployed with DeployTestResources=true?"
            ) from None


def load_stack() -> Stack:
    name = os.environ.get(STACK_ENV)
    if not name:
        raise StackNotFound(
            f"set {STACK_ENV} to the name of a deployed stack, e.g. "
            f"`{STACK_ENV}=sam-streams-and-queues pytest tests/integration` (AWS) or run "
            "`make integration` (local cloud)"
        )
    session = boto3.session.Session()
    region = session.region_name or "us-east-1"
    where = os.environ.get("AWS_ENDPOINT_URL", f"AWS region {region}")
    try:
        stacks = session.client("cloudformation", region_name=region).describe_stacks(
            StackName=name
        )["Stacks"]
    except (ClientError, NoCredentialsError) as error:
        raise StackNotFound(
            f"cannot describe stack {name!r} ({STACK_ENV}) at {where}: {error}"
        ) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return Stack(name=name, region=region, outputs=outputs)

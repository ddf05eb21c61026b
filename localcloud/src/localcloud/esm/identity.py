"""The function's execution role, which Kinesis events carry as ``invokeIdentityArn``."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.esm.arns import parse_arn
from localcloud.esm.clients import AwsClients

logger = logging.getLogger(__name__)


def resolve_role_arn(clients: AwsClients, function_name: str, source_arn: str) -> str:
    """The role moto holds for the function; a plausible role ARN if moto has no such function
    (functions run by the local workers need not be registered in moto)."""
    try:
        config = clients.client("lambda").get_function_configuration(FunctionName=function_name)
        return str(config["Role"])
    except (ClientError, BotoCoreError, KeyError) as error:
        logger.debug("no role for %s in moto (%s); using a placeholder", function_name, error)
    src = parse_arn(source_arn)
    return f"arn:{src.partition}:iam::{src.account}:role/{function_name}-role"

"""Queue URLs the stack hands out point at the local cloud, as the API's own answers already do.

moto answers ``GetQueueUrl``/``CreateQueue`` with the host the request came to, but a queue's
CloudFormation ``Ref`` (its physical id, so the stack's outputs and the functions' environment)
is always ``https://sqs.{region}.amazonaws.com/{account}/{name}``. botocore sends to its endpoint
whatever the URL says, but the JavaScript SDK v3 sends to the QueueUrl's host by default
(``useQueueUrlAsEndpoint``), and any tool that takes the URL from the outputs goes to AWS. Like
LocalStack's, the URL of a queue in the local cloud is ``{local endpoint}/{account}/{name}``;
``Fn::GetAtt Queue.QueueUrl``, which moto lacks, answers the same.

One endpoint per process: moto's backends are process-wide, so the cloud started last names it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.sqs.models import Queue

_endpoint: Callable[[], str] | None = None
_moto_get_cfn_attribute = Queue.get_cfn_attribute
_moto_has_cfn_attr = Queue.has_cfn_attr


def _queue_url(queue: Any) -> str:
    assert _endpoint is not None
    return f"{_endpoint()}/{queue.account_id}/{queue.name}"


def _get_cfn_attribute(queue: Any, attribute_name: str) -> Any:
    if attribute_name == "QueueUrl":
        return _queue_url(queue)
    return _moto_get_cfn_attribute(queue, attribute_name)


def _has_cfn_attr(attribute_name: str) -> bool:
    return attribute_name == "QueueUrl" or _moto_has_cfn_attr(attribute_name)


def serve_queue_urls_from(endpoint: Callable[[], str]) -> None:
    """From now on a queue's physical id and QueueUrl attribute are ``endpoint()``'s."""
    global _endpoint  # noqa: PLW0603 - moto's Queue is process-wide too
    _endpoint = endpoint
    Queue.physical_resource_id = property(_queue_url)  # type: ignore[assignment,method-assign]
    Queue.get_cfn_attribute = _get_cfn_attribute  # type: ignore[assignment,method-assign]
    Queue.has_cfn_attr = staticmethod(_has_cfn_attr)  # type: ignore[method-assign,assignment]

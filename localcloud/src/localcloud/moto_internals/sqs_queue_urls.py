"""Queue URLs the stack hands out point at the local cloud, as the API's own answers already do.

moto answers ``GetQueueUrl``/``CreateQueue`` with the host the request came to, but a queue's
CloudFormation ``Ref`` (its physical id, so the stack's outputs and the functions' environment)
is always ``https://sqs.{region}.amazonaws.com/{account}/{name}``. botocore sends to its endpoint
whatever the URL says, but the JavaScript SDK v3 sends to the QueueUrl's host by default
(``useQueueUrlAsEndpoint``), and any tool that takes the URL from the outputs goes to AWS. Like
LocalStack's, the URL of a queue in the local cloud is ``{local endpoint}/{account}/{name}``;
``Fn::GetAtt Queue.QueueUrl``, which moto lacks, answers the same.

moto's backends are process-wide, so the server started last that is still running names the
endpoint; with none running, the URL is moto's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.sqs.models import Queue

# Running servers' base URLs, the newest last.
_endpoints: list[str] = []
_moto_physical_resource_id = Queue.physical_resource_id
_moto_get_cfn_attribute = Queue.get_cfn_attribute
_moto_has_cfn_attr = Queue.has_cfn_attr


def _queue_url(queue: Any) -> str:
    if not _endpoints:
        return str(_moto_physical_resource_id.fget(queue))  # type: ignore[attr-defined]
    return f"{_endpoints[-1]}/{queue.account_id}/{queue.name}"


def _get_cfn_attribute(queue: Any, attribute_name: str) -> Any:
    if attribute_name == "QueueUrl":
        return _queue_url(queue)
    return _moto_get_cfn_attribute(queue, attribute_name)


def _has_cfn_attr(attribute_name: str) -> bool:
    return attribute_name == "QueueUrl" or _moto_has_cfn_attr(attribute_name)


Queue.physical_resource_id = property(_queue_url)  # type: ignore[assignment,method-assign]
Queue.get_cfn_attribute = _get_cfn_attribute  # type: ignore[assignment,method-assign]
Queue.has_cfn_attr = staticmethod(_has_cfn_attr)  # type: ignore[method-assign,assignment]


def serve_queue_urls_from(endpoint: str) -> Callable[[], None]:
    """Until the returned callable is called, queue URLs are ``endpoint``'s."""
    _endpoints.append(endpoint)

    def stop_serving() -> None:
        if endpoint in _endpoints:
            _endpoints.remove(endpoint)

    return stop_serving

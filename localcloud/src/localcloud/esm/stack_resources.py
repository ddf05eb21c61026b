"""The stack's event source mappings in CloudFormation's resource lists, with their UUIDs.

moto never holds the mappings (``moto_internals.cloudformation_fixups`` takes them out of its
template), so its ``ListStackResources`` and ``DescribeStackResources`` answers lack them; this
middleware adds each of the stack's mappings as ``AWS::Lambda::EventSourceMapping`` with its
UUID as the physical id (as CloudFormation reports it) to moto's XML answer for that stack. They
are the stack's resources, not the live mappings: one the Lambda API deleted stays listed, as on
AWS (the stack has drifted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from localcloud.esm.mappings import EventSourceMappings, StackResource
from localcloud.wsgi import (
    Environ,
    StartResponse,
    WsgiApp,
    captured_response,
    read_body,
    with_body,
)

ESM_TYPE = "AWS::Lambda::EventSourceMapping"
_LISTS = {
    "ListStackResources": "StackResourceSummaries",
    "DescribeStackResources": "StackResources",
}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _member(action: str, mapping: StackResource, stack_name: str, stack_id: str | None) -> str:
    fields: dict[str, Any] = {
        "LogicalResourceId": mapping.logical_id,
        "PhysicalResourceId": mapping.uuid,
        "ResourceType": ESM_TYPE,
        "ResourceStatus": "CREATE_COMPLETE",
    }
    if action == "ListStackResources":
        fields["LastUpdatedTimestamp"] = _iso(mapping.last_updated)
    else:
        fields.update(StackName=stack_name, Timestamp=_iso(mapping.last_updated))
        if stack_id:
            fields["StackId"] = stack_id
    inner = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields.items())
    return f"<member>{inner}</member>"


def _stack_name(name_or_id: str | None) -> str | None:
    """A stack's name, from itself or its ARN (``arn:...:stack/NAME/UUID``)."""
    if name_or_id and ":stack/" in name_or_id:
        return name_or_id.split(":stack/", 1)[1].split("/", 1)[0]
    return name_or_id


class StackMappingResources:
    """WSGI middleware adding ``mappings``' stack mappings to moto's stack resource lists."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.mappings: EventSourceMappings | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        mappings = self.mappings
        if mappings is None or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        if "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
            return self.app(environ, start_response)
        params = {k: v[-1] for k, v in parse_qs(read_body(environ).decode()).items()}
        action = params.get("Action", "")
        stack_name = _stack_name(params.get("StackName"))
        if action not in _LISTS or not stack_name or not mappings.stack_resources(stack_name):
            return self.app(environ, start_response)
        status, headers, body = captured_response(self.app, environ)
        if status.startswith("200"):
            body = self._with_mappings(action, params, body.decode(), stack_name, mappings)
            headers = with_body(headers, body)
        start_response(status, headers)
        return [body]

    @staticmethod
    def _with_mappings(
        action: str,
        params: dict[str, str],
        xml: str,
        stack_name: str,
        mappings: EventSourceMappings,
    ) -> bytes:
        wanted = params.get("LogicalResourceId")
        physical = params.get("PhysicalResourceId")
        own = [
            m
            for m in mappings.stack_resources(stack_name)
            if (wanted is None or m.logical_id == wanted) and (physical in (None, m.uuid))
        ]
        if not own:
            return xml.encode()
        stack_id = re.search(r"<StackId>(.*?)</StackId>", xml)
        members = "".join(
            _member(action, m, stack_name, stack_id[1] if stack_id else None) for m in own
        )
        element = _LISTS[action]
        if f"<{element}/>" in xml:
            return xml.replace(f"<{element}/>", f"<{element}>{members}</{element}>", 1).encode()
        return xml.replace(f"</{element}>", f"{members}</{element}>", 1).encode()

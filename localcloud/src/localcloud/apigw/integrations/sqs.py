"""The SQS service behind ``aws`` integrations: POST the integration request to moto's SQS.

``arn:aws:apigateway:{region}:sqs:path/{account}/{queue}`` -> ``{endpoint}/{account}/{queue}``.
moto routes a request to SQS only when it carries a SigV4 Authorization header scoped to ``sqs``
(unsigned, it lands in S3), so the request is signed with botocore and the local credentials, as
API Gateway signs with the integration's role. moto answers the query protocol in XML; real SQS
answers API Gateway in JSON (``{"SendMessageResponse": {"SendMessageResult": {...},
"ResponseMetadata": {...}}}``; errors ``{"Error": {"Code", "Message", "Type"}, "RequestId"}``)
unless the integration request asks for ``Accept: application/xml``, so the XML is converted to
that shape for the response templates, except when XML was asked for.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from localcloud.apigw.integrations.base import (
    IntegrationTimeout,
    IntegrationUnavailable,
    ServiceResponse,
    ServiceUri,
)


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element_to_json(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    result: dict[str, Any] = {}
    for child in children:
        name = _local_name(child.tag)
        value = _element_to_json(child)
        if name in result:  # repeated elements become a list
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[name] = value
    return result


def query_xml_to_json(xml_text: str) -> str:
    """A query-protocol XML answer as the JSON real SQS returns to API Gateway."""
    root = ET.fromstring(xml_text)  # noqa: S314 - trusted: our own moto server
    content = _element_to_json(root)
    # Errors come without their <ErrorResponse> wrapper: {"Error": {...}, "RequestId": ...}.
    document = (
        content if _local_name(root.tag) == "ErrorResponse" else {_local_name(root.tag): content}
    )
    return json.dumps(document, ensure_ascii=False)


def _asks_for_xml(headers: list[tuple[str, str]]) -> bool:
    accept = ",".join(value for name, value in headers if name.lower() == "accept").lower()
    return "xml" in accept and "json" not in accept


class SqsService:
    def __init__(
        self,
        endpoint_url: str,
        region: str,
        credentials: tuple[str, str],
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        self._endpoint = endpoint_url.rstrip("/")
        self._region = region
        self._credentials = Credentials(*credentials)
        self._pool = pool or urllib3.PoolManager(maxsize=16)

    def call(
        self,
        uri: ServiceUri,
        method: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout_s: float,
    ) -> ServiceResponse:
        if uri.kind != "path":
            raise ValueError(
                f"only path-style SQS integration URIs are supported, got {uri.kind!r}"
            )
        url = f"{self._endpoint}/{uri.rest.lstrip('/')}"
        aws_request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        SigV4Auth(self._credentials, "sqs", self._region).add_auth(aws_request)
        try:
            answer = self._pool.request(
                method,
                url,
                body=body,
                headers=dict(aws_request.headers.items()),
                timeout=urllib3.Timeout(total=timeout_s),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.TimeoutError as error:
            raise IntegrationTimeout(str(error)) from error
        except urllib3.exceptions.HTTPError as error:
            raise IntegrationUnavailable(str(error)) from error
        text = answer.data.decode("utf-8", errors="replace")
        if _asks_for_xml(headers):
            return ServiceResponse(answer.status, dict(answer.headers.items()), text)
        try:
            document = query_xml_to_json(text) if text.lstrip().startswith("<") else text
        except ET.ParseError:
            document = text
        return ServiceResponse(answer.status, dict(answer.headers.items()), document)

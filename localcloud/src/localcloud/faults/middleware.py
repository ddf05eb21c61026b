"""``FaultMiddleware``: the moto server's WSGI layer that applies the rules (see the package)."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterable
from typing import Any, Literal, cast
from urllib.parse import parse_qs

from localcloud.faults.control import CONTROL_PATH, control_reply
from localcloud.faults.errors import error_response
from localcloud.faults.partial import amz_json, merge_answer, split_batch_write, split_send_batch
from localcloud.faults.registry import FaultRegistry
from localcloud.faults.rules import AwsCall, FaultRule
from localcloud.moto_internals.serial import signing_service
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body, replace_body

log = logging.getLogger(__name__)

# botocore's User-Agent carries AWS_EXECUTION_ENV as exec-env/...; only workers set it.
FUNCTION_USER_AGENT_MARK = "exec-env/AWS_Lambda_"
# The API front's integration calls, like API Gateway's, say User-Agent: AmazonAPIGateway_{api id}.
API_USER_AGENT_MARK = "AmazonAPIGateway_"


class FaultMiddleware:
    """Applies the registry's rules to AWS calls; serves the control endpoint."""

    def __init__(self, app: WsgiApp, registry: FaultRegistry | None = None) -> None:
        self.app = app
        self.registry = registry or FaultRegistry()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") == CONTROL_PATH:
            return self._respond(start_response, control_reply(self.registry, environ))
        call = self._describe(environ) if self.registry.active else None
        decision = self.registry.decide(call) if call is not None else None
        if call is None or decision is None:
            return self.app(environ, start_response)
        rule, rng = decision
        log.info("fault %s on %s %s", rule.kind, call.service, call.operation)
        if rule.kind == "delay":
            time.sleep(rule.seconds)
            return self.app(environ, start_response)
        if rule.kind == "unprocessed":
            return self._respond(start_response, self._unprocessed(environ, call, rule, rng))
        return self._respond(start_response, error_response(rule, call))

    # -- requests

    def _describe(self, environ: Environ) -> AwsCall | None:
        service = signing_service(environ)
        if service is None or service not in self.registry.services():
            return None
        body = read_body(environ)
        content_type = environ.get("CONTENT_TYPE", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation, protocol = "", "other"
        if content_type.startswith("application/x-amz-json") and "." in target:
            operation, protocol = target.rsplit(".", 1)[1], "json"
        else:
            params = parse_qs(environ.get("QUERY_STRING", ""))
            if content_type.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qs(body.decode("utf-8", errors="replace")))
            if params.get("Action"):
                operation, protocol = params["Action"][0], "query"
        return AwsCall(
            service=service,
            operation=operation,
            protocol=cast("Literal['json', 'query', 'other']", protocol),
            body=body,
            from_function=FUNCTION_USER_AGENT_MARK in environ.get("HTTP_USER_AGENT", ""),
            from_api=environ.get("HTTP_USER_AGENT", "").startswith(API_USER_AGENT_MARK),
        )

    def _unprocessed(
        self, environ: Environ, call: AwsCall, rule: FaultRule, rng: random.Random
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        if call.protocol != "json":
            log.warning("unprocessed needs the JSON protocol; forwarding %s", call.operation)
            return self._forward(environ, call.body)
        try:
            document = json.loads(call.body or b"{}")
        except ValueError:
            return self._forward(environ, call.body)  # moto answers the malformed request
        if call.operation == "BatchWriteItem":
            forwarded, unprocessed = split_batch_write(document, rule, rng)
            if not forwarded:
                return amz_json("200 OK", {"UnprocessedItems": unprocessed})
            status, headers, body = self._forward(
                environ, json.dumps({**document, "RequestItems": forwarded}).encode()
            )
            return merge_answer(status, headers, body, "UnprocessedItems", unprocessed)
        kept, failed_entries = split_send_batch(document, rule, rng)
        failed = [
            {
                "Id": entry.get("Id"),
                "SenderFault": False,
                "Code": "InternalError",
                "Message": "The request processing has failed because of an unknown error.",
            }
            for entry in failed_entries
        ]
        if not kept:
            return amz_json("200 OK", {"Successful": [], "Failed": failed})
        status, headers, body = self._forward(
            environ, json.dumps({**document, "Entries": kept}).encode()
        )
        return merge_answer(status, headers, body, "Failed", failed)

    def _forward(self, environ: Environ, body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
        inner = dict(environ)
        replace_body(inner, body)
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.app(inner, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], list(captured["headers"]), b"".join(chunks)

    @staticmethod
    def _respond(
        start_response: StartResponse, reply: tuple[str, list[tuple[str, str]], bytes]
    ) -> list[bytes]:
        status, headers, body = reply
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-amz-crc32")]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

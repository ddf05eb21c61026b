"""The embedded moto server, with Lambda ``Invoke`` routed to the local workers.

moto's own Invoke needs Docker (without it: ``FunctionError: Handled`` and a docker error), so a
WSGI middleware answers ``POST /2015-03-31/functions/{name}/invocations`` for the functions the
local cloud runs: RequestResponse (payload, ``X-Amz-Function-Error``, ``LogType=Tail`` ->
``X-Amz-Log-Result``), Event (202, runs in the background) and DryRun (204); a payload over
Lambda's limit for its invocation type is 413 ``RequestEntityTooLargeException``. An
``UpdateFunctionConfiguration`` moto accepted for such a function reaches its workers too (the
timeout, memory, environment, handler and layers of later invokes), and so do
``UpdateFunctionCode`` and ``PublishLayerVersion`` (``localcloud.function_code``). CloudFormation's
deploy operations (change sets, ``CreateStack``, ``UpdateStack``, ``DeleteStack``) go to the local
cloud's deploy pipeline once the cloud runs (``localcloud.stack_deployments``). The event source
mapping API is answered by ``localcloud.esm.mappings_api`` (the real pollers), and each stack's
mappings are added to CloudFormation's resource lists (``localcloud.esm.stack_resources``).
Everything else, and functions the local cloud does not run, goes to moto - through
``localcloud.faults``, which injects the configured faults into the functions' AWS calls and serves
``/_localcloud/faults``, then SQS's message-content rule moto lacks
(``localcloud.sqs_message_rules``), then SQS's message move tasks (``localcloud.sqs_move_tasks``:
moto lacks them), then the idle pollers' wake-ups on writes (``localcloud.poller_wakeups``), then
one request at a time (``localcloud.moto_internals.serial``: moto is not thread-safe), where the
Schemas API moto lacks is answered (``localcloud.schemas``: SAM CLI's shareable test events) and an
operation moto lacks gets a 400 naming it instead of an HTML 500 (``localcloud.unimplemented``).
Cloud Control's ``GetResource`` of a function URL (``localcloud.cloudcontrol``: ``sam list
endpoints``) is answered before the faults. In front of it all, ``localcloud.browser_guard`` keeps
web pages out (moto's own CORS echoes any
origin) and ``localcloud.control`` serves the local cloud's own ``/_localcloud/...`` endpoints.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from hypercorn.config import Config

from localcloud.browser_guard import BrowserGuard
from localcloud.cloudcontrol import CloudControlResources
from localcloud.control import ControlEndpoints, HealthSource
from localcloud.deploy.artifacts import CodeCache
from localcloud.esm.mappings import EventSourceMappings
from localcloud.esm.mappings_api import EventSourceMappingApi, FunctionResolver
from localcloud.esm.stack_resources import StackMappingResources
from localcloud.esm.wakeups import WakeupBoard
from localcloud.faults import FaultMiddleware, FaultRegistry
from localcloud.function_code import FunctionCodeUpdates
from localcloud.functions.invoker import FunctionNotFound, LocalInvoker
from localcloud.functions.layer_contents import LayerContents
from localcloud.functions.limits import RequestTooLarge, check_request_size
from localcloud.functions.logging_config import LoggingConfigReporter
from localcloud.http_server import ThreadedHypercorn
from localcloud.moto_internals.cloudwatch import install_metric_data_namespace_filter
from localcloud.moto_internals.dynamodb_item_size import install_item_size_check
from localcloud.moto_internals.dynamodb_items import install_dynamodb_item_serializer
from localcloud.moto_internals.dynamodb_requests import install_dynamodb_item_parser
from localcloud.moto_internals.header_names import preserve_header_names
from localcloud.moto_internals.kinesis_shards import install_shard_sequence_ends
from localcloud.moto_internals.lambda_configuration import set_layers
from localcloud.moto_internals.layer_version_ids import install_layer_version_ids
from localcloud.moto_internals.serial import SerializedMoto
from localcloud.moto_internals.sqs_queue_urls import serve_queue_urls_from
from localcloud.moto_internals.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from localcloud.poller_wakeups import PollerWakeups
from localcloud.schemas.api import SchemasApi
from localcloud.specs import Invoker
from localcloud.sqs_message_rules import SqsMessageRules
from localcloud.sqs_move_tasks import MessageMoveTaskMiddleware, MessageMoveTasks
from localcloud.stack_deployments.requests import StackRequests
from localcloud.unimplemented import UnimplementedOperations
from localcloud.wsgi import (
    Environ,
    StartResponse,
    WsgiApp,
    captured_response,
    read_body,
    replace_body,
    with_body,
)
from localcloud.wsgi_on_asgi import WsgiOnAsgi

log = logging.getLogger(__name__)

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
CONFIGURATION_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/configuration/?$")
# Lambda returns the last 4 KB of the log with LogType=Tail.
LOG_TAIL_BYTES = 4096


class ResolvingInvoker(Invoker, Protocol):
    """An Invoker that can also tell whether it runs a function (name, ARN or logical id)."""

    def resolve(self, name_or_arn: str) -> Any: ...

    @property
    def region(self) -> str: ...

    def update_configuration(
        self, name_or_arn: str, config: dict[str, Any], layer_dirs: tuple[Path, ...] | None = None
    ) -> Any: ...


def _json_response(
    start_response: StartResponse, status: str, body: Any, headers: dict[str, str] | None = None
) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *(headers or {}).items(),
        ],
    )
    return [data]


def _error(
    start_response: StartResponse, status: str, error_type: str, message: str
) -> list[bytes]:
    return _json_response(
        start_response,
        status,
        {"Type": "User", "message": message},
        {"x-amzn-ErrorType": error_type},
    )


class LambdaInvokeMiddleware:
    """Answers Lambda Invoke with the local invoker, and hands it the configuration updates moto
    accepted for its functions; passes every other request to ``app``."""

    def __init__(self, app: WsgiApp, layers: LayerContents) -> None:
        self.app = app
        self.layers = layers
        self.invoker: ResolvingInvoker | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        invoke = INVOKE_PATH.match(path) if method == "POST" else None
        update = CONFIGURATION_PATH.match(path) if method == "PUT" else None
        match = invoke or update
        if match is None or self.invoker is None:
            return self.app(environ, start_response)
        name = unquote(match["name"])
        try:
            self.invoker.resolve(name)
        except FunctionNotFound:
            return self.app(environ, start_response)
        if update is not None:
            return self._update_configuration(self.invoker, name, environ, start_response)
        return self._invoke(self.invoker, name, environ, start_response)

    def _update_configuration(
        self,
        invoker: ResolvingInvoker,
        name: str,
        environ: Environ,
        start_response: StartResponse,
    ) -> list[bytes]:
        """moto validates and stores the update; what it answers 200 for, the workers get.

        New ``Layers`` are kept from moto, which refuses any it does not hold (the official
        Powertools layer, which Lambda accepts), and set on its function once it answered.
        """
        try:
            request = json.loads(read_body(environ) or b"{}")
        except ValueError:
            request = None
        layers = request.pop("Layers", None) if isinstance(request, dict) else None
        if isinstance(layers, list):
            replace_body(environ, json.dumps(request).encode())
        status, headers, body = captured_response(self.app, environ)
        if status.startswith("200"):
            config = json.loads(body)
            layer_dirs = None
            if isinstance(layers, list):
                arns = [str(arn) for arn in layers]
                function_name = invoker.resolve(name).function_name
                config["Layers"] = set_layers(invoker.region, function_name, arns)
                body = json.dumps(config).encode()
                headers = with_body(headers, body)
                layer_dirs = self.layers.paths(arns)
            invoker.update_configuration(name, config, layer_dirs)
        start_response(status, headers)
        return [body]

    def _invoke(
        self,
        invoker: ResolvingInvoker,
        name: str,
        environ: Environ,
        start_response: StartResponse,
    ) -> list[bytes]:
        body = read_body(environ)
        invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
        try:
            check_request_size(
                len(body), "Event" if invocation_type == "Event" else "RequestResponse"
            )
        except RequestTooLarge as too_large:
            return _error(
                start_response, "413 Request Entity Too Large", too_large.error_type, str(too_large)
            )
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError:
            return _error(
                start_response,
                "400 Bad Request",
                "InvalidRequestContentException",
                "Could not parse request body into json",
            )
        if invocation_type == "DryRun":
            start_response("204 No Content", [("Content-Length", "0")])
            return [b""]
        if invocation_type == "Event":
            threading.Thread(
                target=self._invoke_async, args=(invoker, name, event), daemon=True
            ).start()
            start_response("202 Accepted", [("Content-Length", "0")])
            return [b""]
        try:
            result = invoker.invoke(name, event)
        except RequestTooLarge as too_large:  # the event as the invoker measures it
            return _error(
                start_response, "413 Request Entity Too Large", too_large.error_type, str(too_large)
            )
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if result.function_error:
            # Lambda reports every runtime failure (timeouts and crashes too) as Unhandled.
            headers["X-Amz-Function-Error"] = "Unhandled"
        if environ.get("HTTP_X_AMZ_LOG_TYPE") == "Tail":
            tail = result.log_tail.encode()[-LOG_TAIL_BYTES:]
            headers["X-Amz-Log-Result"] = base64.b64encode(tail).decode()
        return _json_response(start_response, "200 OK", result.payload, headers)

    @staticmethod
    def _invoke_async(invoker: ResolvingInvoker, name: str, event: Any) -> None:
        try:
            result = invoker.invoke(name, event)
        except Exception:
            log.exception("async invoke of %s failed", name)
            return
        if result.function_error:
            log.warning("async invoke of %s: %s %s", name, result.function_error, result.payload)


class CachingDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host.

    moto matches the host against every service's URL patterns on each request (~0.8 ms here);
    the answer never changes for a host, and a local cloud sees only a handful of them.
    """

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backend_by_host: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backend_by_host[host]
        except KeyError:
            backend = self._backend_by_host[host] = super().get_backend_for_host(host)
            return backend


# A thread per request in flight, as werkzeug's threaded server had (see localcloud.wsgi_on_asgi).
MAX_REQUESTS_IN_FLIGHT = 256
# A deployment's function packages are uploaded to moto's S3 in one request each.
MAX_REQUEST_BODY_BYTES = 1024 * 1024 * 1024


def _configure(config: Config) -> None:
    config.keep_alive_timeout = 75  # SDKs keep connections in their pools between calls


class LocalCloudServer:
    """moto's server app behind the Invoke middleware, serving in a thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultRegistry | None = None,
        cors_allow_origins: Iterable[str] = (),
        region: str = "us-east-1",
    ) -> None:
        self._host = host
        self._port = port
        self.faults = faults or FaultRegistry()
        install_metric_data_namespace_filter()
        install_layer_version_ids()
        install_dynamodb_item_serializer()
        install_dynamodb_item_parser()
        install_item_size_check()
        install_shard_sequence_ends()
        # Rung on writes to what idle pollers watch (EventSourceMappingSupervisor's wakeups).
        self.wakeups = WakeupBoard()
        # Faults outside the lock: a delay fault must not hold up every other caller.
        self.stack_mapping_resources = StackMappingResources(
            # GetFunction(Configuration) of our functions gains the LoggingConfig moto lacks.
            LoggingConfigReporter(
                # Cloud Control reads Lambda over HTTP: outside the lock its request would hold.
                CloudControlResources(
                    FaultMiddleware(
                        SqsMessageRules(
                            MessageMoveTaskMiddleware(
                                PollerWakeups(
                                    # Schemas inside: snapshots see its registries whole.
                                    SerializedMoto(
                                        SchemasApi(UnimplementedOperations(CachingDispatcher()))
                                    ),
                                    self.wakeups,
                                ),
                                MessageMoveTasks(lambda: self.url),
                            )
                        ),
                        self.faults,
                    ),
                    lambda: self.url,
                ),
                lambda: self.middleware.invoker,
            )
        )
        # Event source mappings never reach moto (it would run them through Docker).
        self.mapping_api = EventSourceMappingApi(self.stack_mapping_resources)
        # Code that UpdateFunctionCode, PublishLayerVersion and stack deploys hand the workers.
        self.code_cache = CodeCache(Path(tempfile.mkdtemp(prefix="localcloud-code-")))
        self.layers = LayerContents()
        self.code_updates = FunctionCodeUpdates(
            self.mapping_api, lambda: self.url, region, self.code_cache, self.layers
        )
        self.middleware = LambdaInvokeMiddleware(self.code_updates, self.layers)
        # CloudFormation change sets, and SAM templates, deploy through the local cloud's
        # pipeline (localcloud.stack_deployments); the cloud attaches it once it runs.
        self.stack_requests = StackRequests(self.middleware)
        self.control = ControlEndpoints(self.stack_requests)
        self.app = BrowserGuard(self.control, cors_allow_origins)
        self._requests = WsgiOnAsgi(
            self.app,
            threads=MAX_REQUESTS_IN_FLIGHT,
            max_body_bytes=MAX_REQUEST_BODY_BYTES,
            header_names=preserve_header_names,
        )
        self._server = ThreadedHypercorn(
            self._requests,
            name="moto server",
            how_to_choose_port="--port or LOCALCLOUD_PORT",
            configure=_configure,
        )
        self._started = False
        self._stop_serving_queue_urls: Callable[[], None] = lambda: None

    def start(self) -> None:
        self._server.start(self._host, self._port)
        self._started = True
        self._stop_serving_queue_urls = serve_queue_urls_from(self.url)

    @property
    def port(self) -> int:
        assert self._started, "start() first"
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def set_invoker(self, invoker: LocalInvoker | None) -> None:
        self.middleware.invoker = invoker
        self.code_updates.invoker = invoker

    def set_event_source_mappings(
        self,
        mappings: EventSourceMappings | None,
        resolve_function: FunctionResolver | None = None,
        region: str = "us-east-1",
    ) -> None:
        self.mapping_api.attach(mappings, resolve_function, region)
        self.stack_mapping_resources.mappings = mappings

    def set_poller_health(self, health: HealthSource | None) -> None:
        self.control.poller_health = health

    def stop(self) -> None:
        if self._started:
            self._stop_serving_queue_urls()
        self._server.stop()
        self._requests.close()
        self._started = False
        self.code_cache.close()

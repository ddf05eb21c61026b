"""DynamoDB BatchWriteItem as one signed HTTP call, with botocore's retry and error model.

Why not ``client.batch_write_item``: at 256 MB Lambda gives the function ~0.145 vCPU and the
record processor is CPU-bound, so CPU per record is both its bill and its latency. A boto3 call
spends about 70% of the handler's CPU in botocore's per-call machinery (parameter validation, a
shape-walking JSON serialiser, per-call endpoint resolution, user-agent assembly, a dozen event
emissions); for 25 string-only items none of it changes the bytes sent. This call keeps what
matters and skips the rest:

- the body is the text botocore's JSON serialiser produces for the same parameters, byte for
  byte, for items of S and N attributes (all this package writes): ``put_items`` joins put
  requests already written as JSON (dal/put_requests.py), ``batch_write_item`` is ``json.dumps``
  of its parameters, as botocore's serialiser is (unit tests check both);
- signing is botocore's ``SigV4Auth`` with the session's credentials (re-read each call, so
  refreshable credentials refresh);
- the client's ``before-send`` event is emitted with the prepared request, as botocore's endpoint
  does, so whatever attaches there (moto's mock, fault injection in tests) sees every attempt;
  otherwise one urllib3 connection pool sends it (the library botocore sends with), set up as
  botocore sets up its own: the client's timeouts and pool size, TCP_NODELAY, certifi's CA
  bundle, urllib3's errors raised as botocore's (so the retry conditions below see them). Through
  a proxy, botocore's ``URLLib3Session`` sends it (proxy authentication and TLS to the proxy are
  its job). botocore's session costs ~140 us more CPU per request than the pool (its own
  connection classes and response wrapper), about 6 us per record (bench/README.md);
- errors are parsed by botocore's JSON parser and raised as the client's modeled ``ClientError``
  classes; throttling, transient errors, 5xx and connection errors are retried by botocore's
  *standard* retry conditions and exponential backoff, as many attempts as the client makes;
- ``UnprocessedItems`` (HTTP 200) are returned to the caller, who retries them (BatchWriter).

Not kept: botocore's client-side retry quota (token bucket), its ``x-amz-crc32`` check of a
successful answer (TCP and TLS checksum it already), X-Ray subsegments per call (the Tracer
patches ``BaseClient``), account-ID-based endpoints (the client's regional endpoint, or
``AWS_ENDPOINT_URL*``, is used).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse
from botocore.exceptions import (
    BotoCoreError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from botocore.hooks import first_non_none_response
from botocore.httpsession import URLLib3Session, get_cert_path
from botocore.parsers import create_parser
from botocore.retries import standard
from botocore.utils import get_environ_proxies
from urllib3 import PoolManager, Timeout
from urllib3 import exceptions as urllib3_errors

from record_stream.dal.put_requests import PutRequestJson, batch_write_body

OPERATION = "BatchWriteItem"
TARGET = "DynamoDB_20120810.BatchWriteItem"
CONTENT_TYPE = "application/x-amz-json-1.0"


class SignedBatchWriteItem:
    """``batch_write_item(RequestItems=...)`` for one boto3 DynamoDB client's endpoint and config.

    Thread-safe: the writer's threads share one instance (and its connection pool)."""

    def __init__(
        self,
        client: Any,
        credentials: Any,
        max_pool_connections: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        meta = client.meta
        config = meta.config
        self.meta = meta
        """The boto3 client's meta: ``meta.events`` is where ``before-send`` hooks attach."""
        self._exceptions = client.exceptions
        self._credentials = credentials
        self._region = meta.region_name
        self._url = meta.endpoint_url.rstrip("/") + "/"
        self._path = urlsplit(self._url).path  # "/", or an endpoint URL's own path
        self._operation = meta.service_model.operation_model(OPERATION)
        self._event = f"before-send.{meta.service_model.service_id.hyphenize()}.{OPERATION}"
        # botocore's user agent names the Lambda runtime (exec-env/...), as AWS and the local
        # cloud's fault rules (they pick the functions' requests by it) expect.
        exec_env = os.environ.get("AWS_EXECUTION_ENV")
        self._user_agent = f"botocore/{botocore.__version__} record-stream-batch-write" + (
            f" exec-env/{exec_env}" if exec_env else ""
        )
        # As botocore's endpoint builds its session: Nagle off (with it, a request's headers and
        # body go in two segments and the server's delayed ACK adds ~40 ms to every call),
        # keep-alive if configured, proxies from the config or the environment.
        socket_options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        if config.tcp_keepalive:
            socket_options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
        timeout = (config.connect_timeout, config.read_timeout)
        proxies = config.proxies or get_environ_proxies(self._url)
        self._proxied: URLLib3Session | None = None
        if proxies:
            self._proxied = URLLib3Session(
                # (connect, read), as botocore's endpoint passes them (the stubs say int only).
                timeout=timeout,  # type: ignore[arg-type]
                max_pool_connections=max_pool_connections,
                socket_options=socket_options,  # type: ignore[arg-type] # (level, option, value)
                proxies=proxies,
                proxies_config=config.proxies_config,
            )
        self.pool = PoolManager(
            num_pools=1,
            maxsize=max_pool_connections,
            timeout=Timeout(connect=timeout[0], read=timeout[1]),
            retries=False,
            socket_options=socket_options,
            cert_reqs="CERT_REQUIRED",
            ca_certs=get_cert_path(True),
        ).connection_from_url(self._url)
        """The endpoint's urllib3 pool: the writer's threads share its connections."""
        self._parser = create_parser(meta.service_model.protocol)
        # botocore normalises Config(retries={"max_attempts": n}) (n retries) to n + 1 attempts.
        attempts = (config.retries or {}).get("total_max_attempts", 3)
        self._max_attempts = attempts
        self._retry = standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=attempts),
            retry_backoff=standard.ExponentialBackoff(),
        )
        self._sleep = sleep

    def request_body(self, request_items: dict[str, list[dict[str, Any]]]) -> bytes:
        return json.dumps({"RequestItems": request_items}).encode("utf-8")

    def batch_write_item(self, *, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        return self._call(self.request_body(RequestItems))

    def put_items(self, table_name: str, put_requests: Sequence[PutRequestJson]) -> dict[str, Any]:
        """``batch_write_item`` of put requests already in JSON (at most 25, distinct keys)."""
        return self._call(batch_write_body(table_name, put_requests))

    def _call(self, body: bytes) -> dict[str, Any]:
        attempt = 1
        while True:
            response: AWSResponse | None = None
            parsed: dict[str, Any] | None = None
            try:
                response = self._send(body, attempt)
                if response.status_code == 200:
                    answer: dict[str, Any] = json.loads(response.content)
                    return answer
                parsed = self._parser.parse(
                    {
                        "status_code": response.status_code,
                        "headers": response.headers,
                        "body": response.content,
                    },
                    self._operation.output_shape,
                )
                error: Exception | None = None
            except BotoCoreError as caught:  # connection errors, timeouts
                error = caught
            context = standard.RetryContext(
                attempt_number=attempt,
                operation_model=self._operation,
                parsed_response=parsed,
                http_response=response,
                caught_exception=error,
            )
            if not self._retry.should_retry(context):
                if error is not None:
                    raise error
                assert parsed is not None
                code = parsed.get("Error", {}).get("Code")
                raise self._exceptions.from_code(code)(parsed, OPERATION)
            self._sleep(self._retry.compute_retry_delay(context))
            attempt += 1

    def _send(self, body: bytes, attempt: int) -> AWSResponse:
        request = AWSRequest(
            method="POST",
            url=self._url,
            data=body,
            headers={
                "X-Amz-Target": TARGET,
                "Content-Type": CONTENT_TYPE,
                "User-Agent": self._user_agent,
                "amz-sdk-request": f"attempt={attempt}; max={self._max_attempts}",
            },
        )
        if self._credentials is None:
            raise NoCredentialsError
        SigV4Auth(self._credentials.get_frozen_credentials(), "dynamodb", self._region).add_auth(
            request
        )
        prepared = request.prepare()
        # As botocore's endpoint: every handler runs, the first answer is the response.
        answered = first_non_none_response(self.meta.events.emit(self._event, request=prepared))
        if answered is not None:
            response: AWSResponse = answered
            return response
        if self._proxied is not None:
            return self._proxied.send(prepared)
        return self._pool_send(prepared, body)

    def _pool_send(self, prepared: AWSPreparedRequest, body: bytes) -> AWSResponse:
        """As botocore's URLLib3Session.send, without a proxy: urllib3's errors as botocore's."""
        try:
            answer = self.pool.urlopen(
                "POST",
                self._path,
                body=body,
                # botocore's HeadersDict (a Mapping; the stubs call it HTTPHeaders).
                headers=cast(Mapping[str, str], prepared.headers),
                retries=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
            )
            response = AWSResponse(prepared.url, answer.status, cast(Any, answer.headers), answer)
            response.content  # noqa: B018 - reads the body, which returns the connection
            return response
        except urllib3_errors.SSLError as error:
            raise SSLError(endpoint_url=self._url, error=error) from error
        except (urllib3_errors.NewConnectionError, socket.gaierror) as error:
            raise EndpointConnectionError(endpoint_url=self._url, error=error) from error
        except urllib3_errors.ConnectTimeoutError as error:
            raise ConnectTimeoutError(endpoint_url=self._url, error=error) from error
        except urllib3_errors.ReadTimeoutError as error:
            raise ReadTimeoutError(endpoint_url=self._url, error=error) from error
        except urllib3_errors.ProtocolError as error:
            raise ConnectionClosedError(
                error=error, request=prepared, endpoint_url=self._url
            ) from error
        except Exception as error:
            raise HTTPClientError(error=error) from error

"""``ApiFront``: the local cloud's API Gateway, serving every deployed REST API over HTTP.

``{url}/restapis/{api_id}/{stage}/_user_request_/{path}`` is the local form of
``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/{path}``; ``{url}/_localcloud/health``
reports the served APIs. ``start()`` returns once the socket listens (port 0 picks a free port).
"""

from __future__ import annotations

import logging

from localcloud.apigw.front_limits import FrontLimits
from localcloud.apigw.gateway import Gateway
from localcloud.apigw.integrations.sqs import SqsService
from localcloud.apigw.moto_resources import fetch_resource_ids
from localcloud.apigw.server import FrontHttpServer, health_document
from localcloud.apigw.sigv4 import LocalPrincipal
from localcloud.apigw.sts_credentials import LocalStsCredentials, session_token_credentials
from localcloud.config import ACCOUNT_ID
from localcloud.specs import Invoker, RestApiSpec

LOGGER = logging.getLogger(__name__)


class ApiFront:
    def __init__(  # noqa: PLR0917 - cloud.py and the tests pass these positionally
        self,
        apis: list[RestApiSpec],
        invoker: Invoker,
        endpoint_url: str,
        region: str,
        credentials: tuple[str, str],
        host: str = "127.0.0.1",
        port: int = 4567,
        limits: FrontLimits | None = None,
    ) -> None:
        self._apis = list(apis)
        self._invoker = invoker
        self._endpoint_url = endpoint_url
        self._region = region
        self._credentials = credentials
        self._host = host
        self._port = port
        self._limits = limits
        self._server: FrontHttpServer | None = None
        self._gateway: Gateway | None = None
        self._ids: dict[str, dict[str, str]] = {}  # api id -> {resource path -> moto's id}

    @property
    def url(self) -> str:
        port = self._server.port if self._server else self._port
        return f"http://{self._host}:{port}"

    def start(self) -> None:
        if self._server is not None:
            return
        gateway = Gateway.with_local_integrations(
            self._apis,
            principal=LocalPrincipal(
                self._credentials[0],
                self._credentials[1],
                ACCOUNT_ID,
                temporary_credentials=LocalStsCredentials(
                    session_token_credentials(self._endpoint_url, self._region, self._credentials)
                ),
            ),
            region=self._region,
            invoker=self._invoker,
            services={"sqs": SqsService(self._endpoint_url, self._region, self._credentials)},
            resource_ids=self._resource_ids(self._apis),
        )
        server = FrontHttpServer(
            self._host,
            self._port,
            gateway.handle,
            lambda: health_document(gateway.deployed),
            self._limits,
        )
        server.start()
        self._server, self._gateway = server, gateway
        LOGGER.info("API front on %s serving %s", self.url, gateway.deployed)

    def serve(self, apis: list[RestApiSpec]) -> None:
        """Serve exactly ``apis`` from now on (every deployed stack's); moto is asked for the
        resource ids of the new and changed ones only."""
        changed = [api for api in apis if api not in self._apis]  # specs hold dicts: no sets
        kept = {api.rest_api_id for api in apis if api not in changed}
        ids = {api: found for api, found in self._ids.items() if api in kept}
        self._apis = list(apis)
        if self._gateway is not None:
            ids.update(self._resource_ids(changed))
            self._gateway.serve(self._apis, ids)
            LOGGER.info("API front serving %s", self._gateway.deployed)

    def _resource_ids(self, apis: list[RestApiSpec]) -> dict[str, dict[str, str]]:
        found = fetch_resource_ids(
            self._endpoint_url,
            self._region,
            self._credentials,
            sorted({api.rest_api_id for api in apis}),
        )
        self._ids.update(found)
        return found

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._server = None

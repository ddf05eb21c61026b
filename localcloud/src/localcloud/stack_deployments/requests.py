"""WSGI middleware in front of moto: the CloudFormation operations ``StackDeployments`` answers go
there, everything else (and everything before the cloud attached it) to moto.

The deployer's own calls (``create_stack``/``update_stack`` with the template made for moto) carry
``DEPLOYER_USER_AGENT`` and go to moto too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from localcloud.clients import DEPLOYER_USER_AGENT
from localcloud.moto_internals.serial import signing_service
from localcloud.stack_deployments.protocol import API_VERSION, QueryError, QueryRequest, error
from localcloud.stack_deployments.service import StackDeployments
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

log = logging.getLogger(__name__)


class StackRequests:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.deployments: StackDeployments | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        deployments = self.deployments
        if (
            deployments is None
            or environ.get("REQUEST_METHOD") != "POST"
            or "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", "")
            or DEPLOYER_USER_AGENT in environ.get("HTTP_USER_AGENT", "")
            or signing_service(environ) not in (None, "cloudformation")
        ):
            return self.app(environ, start_response)
        request = QueryRequest.parse(read_body(environ))
        if request.get("Version") != API_VERSION or not deployments.owns(request):
            return self.app(environ, start_response)
        try:
            status, headers, body = deployments.handle(request)
        except QueryError as failure:
            status, headers, body = error(failure)
        except Exception:
            log.exception("CloudFormation %s failed", request.action)
            status, headers, body = error(
                QueryError(
                    "InternalFailure", f"localcloud failed on CloudFormation.{request.action}", 500
                )
            )
        start_response(status, headers)
        return [body]

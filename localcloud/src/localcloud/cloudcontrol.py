"""Cloud Control API ``GetResource`` for ``AWS::Lambda::Url``: what ``sam list endpoints`` asks.

moto has no Cloud Control API. SAM CLI's ``sam list endpoints --stack-name`` calls
``GetResource(TypeName="AWS::Lambda::Url", Identifier=<function name>)`` for every function of
the stack, to show its function URL (a ``ResourceNotFoundException`` shows as ``-``); the APIs'
URLs it builds itself from API Gateway's ``GetStages``. This answers that call, in Cloud
Control's JSON protocol, from the function's URL configuration in moto's Lambda (read over HTTP
like any client: ``GetFunctionUrlConfig``), with the resource's properties as Cloud Control
returns them (a JSON string). Any other resource type is 400 ``UnsupportedActionException``
naming the one it reads; the other operations pass on (and are answered as not implemented).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.clients import local_client
from localcloud.config import DEFAULT_REGION
from localcloud.wsgi import Environ, StartResponse, WsgiApp, read_body

TARGET = "CloudApiService.GetResource"
FUNCTION_URL_TYPE = "AWS::Lambda::Url"
_SCOPE_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/cloudcontrolapi/")
# The properties of an AWS::Lambda::Url resource and where GetFunctionUrlConfig has them.
_URL_PROPERTIES = ("FunctionUrl", "FunctionArn", "AuthType", "InvokeMode", "Cors")


class CloudControlError(Exception):
    def __init__(self, code: str, message: str, status: str = "400 Bad Request") -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class CloudControlResources:
    """Answers ``GetResource`` of ``AWS::Lambda::Url``; passes every other request on."""

    def __init__(self, app: WsgiApp, endpoint_url: Callable[[], str]) -> None:
        self.app = app
        self._endpoint_url = endpoint_url

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") != TARGET:
            return self.app(environ, start_response)
        try:
            request = json.loads(read_body(environ) or b"{}")
            if not isinstance(request, dict):
                raise CloudControlError("InvalidRequestException", "the body must be a JSON object")
            status, document = "200 OK", self.get_resource(request, _region(environ))
        except CloudControlError as error:
            status, document = error.status, {"__type": error.code, "Message": str(error)}
        except ValueError:
            status = "400 Bad Request"
            document = {"__type": "InvalidRequestException", "Message": "the body is not JSON"}
        body = json.dumps(document).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-RequestId", str(uuid.uuid4())),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    def get_resource(self, request: dict[str, Any], region: str) -> dict[str, Any]:
        type_name, identifier = request.get("TypeName"), request.get("Identifier")
        if not isinstance(type_name, str) or not isinstance(identifier, str) or not identifier:
            raise CloudControlError(
                "InvalidRequestException", "TypeName and Identifier are required"
            )
        if type_name != FUNCTION_URL_TYPE:
            raise CloudControlError(
                "UnsupportedActionException",
                f"localcloud's Cloud Control API reads {FUNCTION_URL_TYPE} only, not {type_name}",
            )
        lambda_client = local_client(
            "lambda", self._endpoint_url(), region, Config(retries={"max_attempts": 1})
        )
        try:
            config = lambda_client.get_function_url_config(FunctionName=identifier)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise CloudControlError(
                    "ServiceInternalErrorException", str(error), "500 Internal Server Error"
                ) from error
            raise CloudControlError(
                "ResourceNotFoundException",
                f"Resource of type '{type_name}' with identifier '{identifier}' was not found.",
            ) from error
        properties = {key: config[key] for key in _URL_PROPERTIES if key in config}
        properties["TargetFunctionArn"] = config["FunctionArn"]
        return {
            "TypeName": type_name,
            "ResourceDescription": {
                "Identifier": config["FunctionArn"],
                "Properties": json.dumps(properties),
            },
        }


def _region(environ: Environ) -> str:
    scope = _SCOPE_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return scope["region"] if scope else DEFAULT_REGION

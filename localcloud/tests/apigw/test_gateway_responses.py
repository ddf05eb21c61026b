"""API Gateway's own error responses and the definition's overrides, without HTTP."""

from __future__ import annotations

import json
from typing import Any

from localcloud.apigw.gateway_responses import GatewayError, internal_error, render_gateway_response

CONTEXT: dict[str, Any] = {"requestId": "r-1"}


def test_defaults_are_api_gateways_messages() -> None:
    error = GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", "X")

    response = render_gateway_response(error, {}, CONTEXT)

    assert response.status == 403
    assert response.body == b'{"message":"Missing Authentication Token"}'
    assert response.header("x-amzn-ErrorType") == "X"


def test_a_specific_override_sets_status_template_and_headers() -> None:
    definition = {
        "x-amazon-apigateway-gateway-responses": {
            "BAD_REQUEST_BODY": {
                "statusCode": 422,
                "responseParameters": {"gatewayresponse.header.X-Why": "'validation'"},
                "responseTemplates": {
                    "application/json": '{"id": "$context.requestId", '
                    '"detail": "$context.error.validationErrorString"}'
                },
            }
        }
    }
    error = GatewayError(
        "BAD_REQUEST_BODY", "Invalid request body", "B", validation_error='[bad "quote" \\ ]'
    )

    response = render_gateway_response(error, definition, CONTEXT)

    assert response.status == 422
    assert response.header("X-Why") == "validation"
    assert json.loads(response.body) == {"id": "r-1", "detail": '[bad "quote" \\ ]'}


def test_default_4xx_applies_to_types_without_their_own_entry_but_keeps_their_status() -> None:
    definition = {
        "x-amazon-apigateway-gateway-responses": {
            "DEFAULT_4XX": {
                "statusCode": 400,
                "responseTemplates": {"application/json": '{"oops": $context.error.messageString}'},
            }
        }
    }

    response = render_gateway_response(
        GatewayError("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type", "U"), definition, CONTEXT
    )

    assert response.status == 415
    assert json.loads(response.body) == {"oops": "Unsupported Media Type"}


def test_internal_errors_have_the_lambda_proxy_shape() -> None:
    response = render_gateway_response(internal_error(502), {}, CONTEXT)

    assert response.status == 502
    assert json.loads(response.body) == {"message": "Internal server error"}

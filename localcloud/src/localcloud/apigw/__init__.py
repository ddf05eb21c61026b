"""The local API Gateway front: serves the deployed REST APIs over real HTTP.

One job per module:
- ``http_types``: the request/response values every other module passes around.
- ``routes``: the route table of a REST API, from its OpenAPI definition.
- ``sigv4``: AWS_IAM authorization, SigV4 (header or presigned query) verified with botocore
  against the local credentials.
- ``sts_credentials``: the temporary credentials the local STS issued (the one adapter to moto's
  STS backend).
- ``validation``: request validators (JSON-schema models, required parameters).
- ``request_context``: ``$context`` / ``requestContext`` values of one request.
- ``gateway_responses``: API Gateway's error responses, with the definition's overrides.
- ``vtl``: mapping templates (airspeed-ext) with ``$input``, ``$util``, ``$context``.
- ``proxy_event``: the Lambda proxy event v1.0 and the mapping of the proxy response.
- ``integrations``: ``aws_proxy`` (Lambda) and ``aws`` (SQS on moto) integrations.
- ``gateway``: one request through route -> auth -> validation -> integration.
- ``front_limits``: API Gateway's request quotas and the server's own bounds (pool, timeouts).
- ``integration_pool``: a fixed number of gateway calls in flight on threads; the next gets 429.
- ``asgi_front``: the ASGI app: size quotas, 408/429/504, health, then the gateway.
- ``protocol_errors``: hypercorn's answers to unparseable HTTP/1.1 as ``{"message": ...}``.
- ``server`` / ``front``: hypercorn on its own loop thread and the ``ApiFront`` the local cloud
  starts.
"""

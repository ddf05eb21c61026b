"""Resource ids of the deployed REST APIs, read from moto (``requestContext.resourceId``).

moto keeps the resources ``put_rest_api`` created; everything else the front needs comes from
the definition (see ``routes``). A failure here only costs real-looking resource ids.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.clients import local_client

LOGGER = logging.getLogger(__name__)


def fetch_resource_ids(
    endpoint_url: str, region: str, credentials: tuple[str, str], api_ids: list[str]
) -> dict[str, dict[str, str]]:
    """api id -> {resource path -> resource id}; APIs moto does not know are left out."""
    client = local_client("apigateway", endpoint_url, region, credentials=credentials)
    found: dict[str, dict[str, str]] = {}
    for api_id in api_ids:
        try:
            pages = client.get_paginator("get_resources").paginate(restApiId=api_id)
            found[api_id] = {
                item["path"]: item["id"] for page in pages for item in page.get("items", [])
            }
        except (BotoCoreError, ClientError) as error:
            LOGGER.warning("resource ids of REST API %s not available from moto: %s", api_id, error)
    return found

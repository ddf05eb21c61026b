"""SigV4-signed HTTP to the inbox/outbox API, on AWS or the local cloud.

URL rule for the local cloud (documented in the README): when ``LOCALCLOUD_API_FRONT`` is set,
``https://{api}.execute-api.{region}.amazonaws.com/{stage}`` becomes
``{LOCALCLOUD_API_FRONT}/restapis/{api}/{stage}/_user_request_``. On AWS the output is used as is.
"""

from __future__ import annotations

import os
import re
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

_EXECUTE_API = re.compile(r"^https://(?P<api>[^.]+)\.execute-api\.[^/]+/(?P<stage>[^/]+)/?$")


def local_api_url(output_url: str, front: str) -> str:
    match = _EXECUTE_API.match(output_url)
    if not match:
        raise ValueError(f"not an execute-api stage URL: {output_url!r}")
    return f"{front.rstrip('/')}/restapis/{match['api']}/{match['stage']}/_user_request_"


def api_base_url(output_url: str) -> str:
    front = os.environ.get("LOCALCLOUD_API_FRONT")
    return local_api_url(output_url, front) if front else output_url.rstrip("/")


class SignedApi:
    """A tiny client that signs every request like the AWS CLI would (service execute-api)."""

    def __init__(self, base_url: str, region: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url
        self.region = region
        self.timeout_s = timeout_s
        self._session = requests.Session()
        credentials = boto3.session.Session().get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials to sign API requests with")
        self._credentials = credentials

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timeout_s: float | tuple[float, float] | None = None,
    ) -> requests.Response:
        """Send one request; ``timeout_s`` overrides the client's (a float, or connect and read)."""
        prepared = requests.Request(
            method,
            f"{self.base_url}{path}",
            json=json_body,
            data=data,
            params=params,
            headers=headers or {},
        ).prepare()
        if sign:
            aws_request = AWSRequest(
                method=prepared.method,
                url=prepared.url,
                data=prepared.body,
                headers=dict(prepared.headers),
            )
            SigV4Auth(
                self._credentials.get_frozen_credentials(), "execute-api", self.region
            ).add_auth(aws_request)
            prepared.headers.update(dict(aws_request.headers))
        return self._session.send(prepared, timeout=timeout_s or self.timeout_s)

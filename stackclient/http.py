"""SigV4-signed HTTP to the inbox/outbox API, on AWS or the local cloud.

``signed_headers`` is the one SigV4 signer of the application's clients and tests (``SignedApi``,
the reliability scenarios' fuzz and load tools): botocore's ``SigV4Auth`` over exactly what will be
sent. (The local cloud, a package of its own, signs in its own tests: it never imports this one.)

URL rule for the local cloud (documented in the README): when ``LOCALCLOUD_API_FRONT`` is set,
``https://{api}.execute-api.{region}.amazonaws.com/{stage}`` becomes
``{LOCALCLOUD_API_FRONT}/restapis/{api}/{stage}/_user_request_``. On AWS the output is used as is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_EXECUTE_API = re.compile(r"^https://(?P<api>[^.]+)\.execute-api\.[^/]+/(?P<stage>[^/]+)/?$")


def local_api_url(output_url: str, front: str) -> str:
    match = _EXECUTE_API.match(output_url)
    if not match:
        raise ValueError(f"not an execute-api stage URL: {output_url!r}")
    return f"{front.rstrip('/')}/restapis/{match['api']}/{match['stage']}/_user_request_"


def api_base_url(output_url: str) -> str:
    front = os.environ.get("LOCALCLOUD_API_FRONT")
    return local_api_url(output_url, front) if front else output_url.rstrip("/")


def signed_headers(
    method: str,
    url: str,
    body: bytes | str | None,
    headers: Mapping[str, str],
    *,
    credentials: Credentials,
    region: str,
) -> dict[str, str]:
    """``headers`` plus the SigV4 ones of API Gateway (service execute-api), as the AWS CLI signs.

    Credentials are frozen per request, so refreshed ones (an assumed role's) are never torn."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
    return dict(request.headers)


class SigV4(requests.auth.AuthBase):
    """``signed_headers`` as a requests auth: it signs the prepared request, body included."""

    def __init__(self, credentials: Credentials, region: str) -> None:
        self.credentials = credentials
        self.region = region

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        method, url, headers = prepared.method or "GET", prepared.url or "", prepared.headers
        signed = signed_headers(
            method, url, prepared.body, headers, credentials=self.credentials, region=self.region
        )
        prepared.headers.update(signed)
        return prepared


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
        self._auth = SigV4(credentials, region)

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
            auth=self._auth if sign else None,
        ).prepare()
        return self._session.send(prepared, timeout=timeout_s or self.timeout_s)

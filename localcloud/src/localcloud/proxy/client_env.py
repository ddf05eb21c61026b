"""The variables that send a client's AWS traffic through the proxy and make it trust the CA.

- ``HTTPS_PROXY`` / ``HTTP_PROXY`` (and lower case, which curl and some tools read only): honoured
  by requests (and so awscurl, requests-aws4auth), botocore (boto3, the AWS CLI) and curl; Node
  honours them with ``NODE_USE_ENV_PROXY=1`` (Node 22.21 / 24 and later) or a proxy agent;
- ``NO_PROXY``: localhost and 127.0.0.1 stay direct (the cloud's own ports, a dev server);
- the CA: ``REQUESTS_CA_BUNDLE`` (requests), ``AWS_CA_BUNDLE`` (botocore), ``SSL_CERT_FILE``
  (OpenSSL's default store, e.g. Python's ``ssl``) get the bundle — the public roots plus the
  CA, since they *replace* the trust store; ``NODE_EXTRA_CA_CERTS`` (Node adds it) gets the CA.

``AWS_ENDPOINT_URL`` is left out on purpose: SDK calls keep AWS's own endpoints and reach the
local cloud through the proxy, as an unchanged AWS suite makes them.
"""

from __future__ import annotations

from pathlib import Path

from localcloud.config import Endpoints
from localcloud.proxy.ca_files import CaFiles

NO_PROXY = "localhost,127.0.0.1,::1"


def proxy_env(proxy_url: str, ca: CaFiles) -> dict[str, str]:
    return {
        "HTTPS_PROXY": proxy_url,
        "HTTP_PROXY": proxy_url,
        "https_proxy": proxy_url,
        "http_proxy": proxy_url,
        "NO_PROXY": NO_PROXY,
        "no_proxy": NO_PROXY,
        "REQUESTS_CA_BUNDLE": str(ca.bundle),
        "AWS_CA_BUNDLE": str(ca.bundle),
        "SSL_CERT_FILE": str(ca.bundle),
        "NODE_EXTRA_CA_CERTS": str(ca.cert),
        "NODE_USE_ENV_PROXY": "1",
    }


def proxy_client_env(endpoints: Endpoints) -> dict[str, str]:
    """``Endpoints.client_env()`` for the proxy mode: the proxy and CA variables instead of
    ``AWS_ENDPOINT_URL``."""
    if not endpoints.proxy_url or not endpoints.proxy_ca_dir:
        raise ValueError("this local cloud runs no proxy (it was started before proxy mode)")
    env = endpoints.client_env()
    env.pop("AWS_ENDPOINT_URL", None)
    return {**env, **proxy_env(endpoints.proxy_url, CaFiles.in_dir(Path(endpoints.proxy_ca_dir)))}

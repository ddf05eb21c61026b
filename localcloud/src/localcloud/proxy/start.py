"""The proxy of one cloud: its CA from the state directory, its upstreams from the cloud's URLs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from localcloud.proxy.ca import load_or_create_ca
from localcloud.proxy.forwarding import Address
from localcloud.proxy.hosts import Upstream
from localcloud.proxy.server import AwsProxy


def _address(url: str) -> Address:
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        raise ValueError(f"not a host:port URL: {url}")
    return parts.hostname, parts.port


def start_proxy(
    state_dir: Path, *, moto_url: str, api_front_url: str | None, host: str, port: int
) -> AwsProxy:
    upstreams = {Upstream.MOTO: _address(moto_url)}
    if api_front_url:
        upstreams[Upstream.API_FRONT] = _address(api_front_url)
    proxy = AwsProxy(load_or_create_ca(state_dir), upstreams, host=host, port=port)
    proxy.start()
    return proxy

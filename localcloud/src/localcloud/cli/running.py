"""The running cloud as the state file describes it: its endpoints and its summary."""

from __future__ import annotations

from typing import Any

from localcloud.config import Endpoints
from localcloud.summary import summary as summary_of


def endpoints_of(state: dict[str, Any]) -> Endpoints:
    return Endpoints(
        endpoint_url=state["endpoint_url"],
        api_front_url=state.get("api_front_url"),
        region=state["region"],
        stack_name=state["stack_name"],
        proxy_url=state.get("proxy_url"),
        proxy_ca_dir=state.get("proxy_ca_dir"),
    )


def summary(state: dict[str, Any]) -> str:
    return summary_of(state, endpoints_of(state))

"""Fixtures of the ESM tests: one moto server per session, a supervisor per test."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from moto.server import ThreadedMotoServer
from tests.esm.esm_support import FAST, Cloud

from localcloud.esm.supervisor import EventSourceMappingSupervisor
from localcloud.specs import EventSourceMappingSpec, Invoker

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    # One access-log line per poll would drown the pollers' own logs in failure reports.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def cloud(moto_endpoint: str) -> Cloud:
    return Cloud(moto_endpoint, REGION)


StartMappings = Callable[[list[EventSourceMappingSpec], Invoker], EventSourceMappingSupervisor]


@pytest.fixture
def start_mappings(moto_endpoint: str) -> Iterator[StartMappings]:
    started: list[EventSourceMappingSupervisor] = []

    def start(
        mappings: list[EventSourceMappingSpec], invoker: Invoker
    ) -> EventSourceMappingSupervisor:
        supervisor = EventSourceMappingSupervisor(
            mappings, invoker, moto_endpoint, REGION, settings=FAST
        )
        supervisor.start()
        started.append(supervisor)
        return supervisor

    yield start
    for supervisor in started:
        supervisor.stop()

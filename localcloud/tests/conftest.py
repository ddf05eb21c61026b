"""Fixtures of the local-cloud tests: a clean AWS environment, one moto server per test process,
and specs of the probe function (a test double of a *function*, never of AWS)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.deploy.dependencies import dependency_cache, install_dependencies
from localcloud.server import LocalCloudServer
from localcloud.specs import FunctionSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_UNDER_TEST = Path(__file__).resolve().parent / "functions_under_test"
GREETER = Path(__file__).resolve().parent / "projects" / "greeter"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the machine's AWS configuration: a region and dummy credentials only."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalCloudServer]:
    """moto (with the Invoke route) on a free port, shared by this test process."""
    server = LocalCloudServer(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def probe_spec() -> Callable[..., FunctionSpec]:
    def make(**overrides: Any) -> FunctionSpec:
        values: dict[str, Any] = {
            "logical_id": "ProbeFunction",
            "function_name": "probe-fn",
            "handler": "probe.handlers.lambda_handler",
            "code_dir": FUNCTIONS_UNDER_TEST,
            "runtime": "python3.13",
            "timeout_s": 5,
            "memory_mb": 256,
            "environment": {"GREETING": "hello"},
        }
        values.update(overrides)
        return FunctionSpec(**values)

    return make


def _copy_greeter(parent: Path) -> Path:
    project = parent / "greeter"
    shutil.copytree(GREETER, project, ignore=shutil.ignore_patterns(".localcloud", "__pycache__"))
    return project


@pytest.fixture
def greeter_copy(tmp_path: Path) -> Path:
    """A copy of the greeter project, never started: its `.localcloud/` (state, dependency cache)
    stays out of git, and a test may edit its code."""
    return _copy_greeter(tmp_path)


@pytest.fixture(scope="session")
def greeter_dependency_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The greeter's requirements.txt installed once per test process, as its first `up` does."""
    project = _copy_greeter(tmp_path_factory.mktemp("greeter-installed"))
    cache = dependency_cache(project / "template.yaml")
    assert install_dependencies(project / "src", cache) is not None
    return cache


@pytest.fixture
def greeter_started_before(tmp_path: Path, greeter_dependency_cache: Path) -> Path:
    """A copy of the greeter project with the dependency cache an earlier `up` left in its
    `.localcloud/`: its local package is built and installed once per test process rather than
    once per test (about 3.5 s of CPU each), for tests about something else."""
    project = _copy_greeter(tmp_path)
    shutil.copytree(greeter_dependency_cache, dependency_cache(project / "template.yaml"))
    return project


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A port nothing listens on now (for servers that cannot be given port 0)."""

    def pick() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    return pick

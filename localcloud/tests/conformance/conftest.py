"""One fresh local cloud of this project's template.yaml for the whole conformance session, and a
runner per stock client pointed at it with only what a user would export.

Started in-process (as the reliability suite does) on free ports, so the suite never meets a cloud
another run left behind. Run in its own pytest process (`make conformance`): the cloud's moto
backends are process-wide.

Adding a case: a test taking one runner fixture (``aws``, ``sam``, ``js``, ``awscurl``,
``signed_requests``; in proxy mode ``aws_via_proxy``, ``awscurl_via_proxy``,
``signed_requests_via_proxy`` with ``execute_api_url``) and ``outputs`` / ``api_url``, marked
``@pytest.mark.conformance(client=..., operation=...)``; then its row in the README's table
(``test_readme_table`` fails until the row is there). See PENDING.md for the cases that wait on a
fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from tests.conformance.runners import (
    REPO_ROOT,
    AwsCli,
    Awscurl,
    JsSdk,
    SamCli,
    signed_session,
    signed_session_via_proxy,
    user_environment,
)
from tests.conformance.table import CASES_KEY, Case, rendered_table

from localcloud.cloud import CloudOptions, LocalCloud
from localcloud.proxy.client_env import proxy_client_env

STACK_NAME = "conformance"
REGION = "us-east-1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance(client, operation): one stock client doing one operation"
    )
    config.stash[CASES_KEY] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("conformance")
        if marker is not None:
            config.stash[CASES_KEY][item.nodeid] = Case(**marker.kwargs)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    cases = item.config.stash[CASES_KEY]
    case = cases.get(item.nodeid)
    if case is not None and (report.when == "call" or report.outcome != "passed"):
        cases[item.nodeid] = case.with_outcome(report.outcome)
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    cases = config.stash[CASES_KEY]
    if cases:
        terminalreporter.section("conformance: client x operation")
        terminalreporter.write_line(rendered_table(cases.values(), with_outcome=True))


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    local = LocalCloud(
        CloudOptions(
            template=REPO_ROOT / "template.yaml",
            stack_name=STACK_NAME,
            region=REGION,
            state_dir=tmp_path_factory.mktemp("state"),  # the proxy mode's CA
        )
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def user_env(cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What `localcloud env` prints for this cloud, plus PATH and an empty HOME."""
    return user_environment(cloud.endpoints.client_env(), tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def proxy_env(cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What `localcloud env --proxy` prints for this cloud, plus PATH and an empty HOME."""
    return user_environment(proxy_client_env(cloud.endpoints), tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def outputs(cloud: LocalCloud, user_env: dict[str, str]) -> dict[str, str]:
    """The stack's outputs, read with boto3 (the fixture, not a case under test)."""
    cfn = boto3.client(
        "cloudformation",
        endpoint_url=cloud.endpoint_url,
        region_name=REGION,
        aws_access_key_id=user_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=user_env["AWS_SECRET_ACCESS_KEY"],
    )
    stack = cfn.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


@pytest.fixture(scope="session")
def api_url(user_env: dict[str, str], outputs: dict[str, str]) -> str:
    """The inbox/outbox API through the front, by the README's URL rule (LOCALCLOUD_API_FRONT)."""
    api_id = outputs["InboxOutboxApiUrl"].split("//", 1)[1].split(".", 1)[0]
    stage = outputs["InboxOutboxApiUrl"].rstrip("/").rsplit("/", 1)[1]
    return f"{user_env['LOCALCLOUD_API_FRONT']}/restapis/{api_id}/{stage}/_user_request_"


@pytest.fixture(scope="session")
def execute_api_url(outputs: dict[str, str]) -> str:
    """The API's URL as on AWS (the stack's output), for the proxy mode's cases."""
    return outputs["InboxOutboxApiUrl"].rstrip("/")


@pytest.fixture(scope="session")
def stage_url(user_env: dict[str, str], outputs: dict[str, str]) -> str:
    """The API through the front's ``/{stage}/...`` form (this template deploys one API)."""
    stage = outputs["InboxOutboxApiUrl"].rstrip("/").rsplit("/", 1)[1]
    return f"{user_env['LOCALCLOUD_API_FRONT']}/{stage}"


@pytest.fixture(scope="session")
def aws_via_proxy(proxy_env: dict[str, str]) -> AwsCli:
    return AwsCli(proxy_env)


@pytest.fixture(scope="session")
def awscurl_via_proxy(proxy_env: dict[str, str]) -> Awscurl:
    return Awscurl(proxy_env)


@pytest.fixture(scope="session")
def signed_requests_via_proxy(proxy_env: dict[str, str]) -> Iterator[requests.Session]:
    with signed_session_via_proxy(proxy_env) as session:
        yield session


@pytest.fixture(scope="session")
def aws(user_env: dict[str, str]) -> AwsCli:
    return AwsCli(user_env)


@pytest.fixture(scope="session")
def sam(user_env: dict[str, str]) -> SamCli:
    return SamCli(user_env, REPO_ROOT)


@pytest.fixture(scope="session")
def js(user_env: dict[str, str]) -> JsSdk:
    return JsSdk(user_env)


@pytest.fixture(scope="session")
def awscurl(user_env: dict[str, str]) -> Awscurl:
    return Awscurl(user_env)


@pytest.fixture(scope="session")
def signed_requests(user_env: dict[str, str]) -> Iterator[requests.Session]:
    with signed_session(user_env) as session:
        yield session

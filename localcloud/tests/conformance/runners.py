"""The stock clients, run as a user runs them against the local cloud.

Each runner gets the environment a user would have after ``eval "$(localcloud env)"`` (the cloud's
``Endpoints.client_env()``), a PATH to the pinned tools and an empty HOME, and nothing else: no
``~/.aws`` config, no variable of this machine, so a case passes only if the client needs nothing
more than what the README tells a user to set.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests_aws4auth import AWS4Auth

REPO_ROOT = Path(__file__).resolve().parents[3]
JS_DIR = Path(__file__).resolve().parent / "js"
VENV_BIN = Path(sys.executable).parent
TIMEOUT_S = 120
# An API event CheckOutputQueueFunction refuses (400: its `max` is out of range) before reading
# the outbox: an invoke that leaves no trace but its logs, and is told apart by its answer.
REFUSED_READ_EVENT = REPO_ROOT / "events/inbox_outbox/apigw-get-outbox-bad-max.json"


@dataclass(frozen=True)
class Completed:
    """What a client printed and how it exited; assertion messages show all of it."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return (
            f"$ {' '.join(self.command)}\nexit {self.returncode}\n"
            f"stdout: {self.stdout[-3000:]}\nstderr: {self.stderr[-3000:]}"
        )


def request_id_of(log_tail: str) -> str:
    """The request id of an invoke, from its ``LogType=Tail`` log (``LogResult``, base64): the
    last 4 KB, so read from its ``REPORT`` line."""
    found = re.findall(r"REPORT RequestId: (\S+)", base64.b64decode(log_tail).decode())
    assert found, f"no REPORT line in the log tail {base64.b64decode(log_tail)!r}"
    return str(found[-1])


def user_environment(client_env: dict[str, str], home: Path) -> dict[str, str]:
    """The variables a user's shell has: the cloud's exports, the tools on PATH, a clean HOME."""
    node = shutil.which("node")
    path = [str(VENV_BIN), *([str(Path(node).parent)] if node else []), "/usr/bin", "/bin"]
    return {
        **client_env,
        "PATH": os.pathsep.join(dict.fromkeys(path)),
        "HOME": str(home),
        # SAM CLI asks about telemetry on first use and reports to AWS; a user answers once.
        "SAM_CLI_TELEMETRY": "0",
    }


def _run(
    command: list[str], env: dict[str, str], cwd: Path | None = None, stdin: str | None = None
) -> Completed:
    done = subprocess.run(
        command,
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return Completed(command, done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class AwsCli:
    """AWS CLI v1 (awscli in requirements-dev.txt), JSON output, ``--endpoint-url`` given when
    the environment has one (CLI v1 ignores ``AWS_ENDPOINT_URL`` for SQS); in proxy mode none."""

    env: dict[str, str]

    def __call__(self, *args: str) -> Completed:
        endpoint = self.env.get("AWS_ENDPOINT_URL")
        options = ["--endpoint-url", endpoint] if endpoint else []
        return _run(["aws", *args, *options, "--output", "json"], self.env)


@dataclass(frozen=True)
class SamCli:
    """SAM CLI (aws-sam-cli in requirements-dev.txt), run from the project's folder; ``answer``
    is what the user types at its prompt (``sam sync`` asks once per stack)."""

    env: dict[str, str]
    project: Path

    def __call__(self, *args: str, answer: str | None = None) -> Completed:
        return _run(["sam", *args], self.env, cwd=self.project, stdin=answer)


@dataclass(frozen=True)
class JsSdk:
    """The AWS SDK for JavaScript v3 (js/package-lock.json), one command per ``node`` process."""

    env: dict[str, str]

    def __call__(self, service: str, command: str, params: dict[str, Any] | None = None) -> Any:
        """The command's output; AssertionError with the SDK's error when it fails."""
        done = self.call(service, command, params)
        assert done.returncode == 0, str(done)
        return done.json()["output"]

    def call(self, service: str, command: str, params: dict[str, Any] | None = None) -> Completed:
        args = ["node", "call.mjs", service, command, json.dumps(params or {})]
        return _run(args, self.env, cwd=JS_DIR)

    @staticmethod
    def blob(data: bytes) -> dict[str, str]:
        """A binary member as call.mjs takes it (e.g. Kinesis ``Data``)."""
        return {"$base64": base64.b64encode(data).decode()}

    @staticmethod
    def unblob(member: dict[str, str]) -> bytes:
        """A binary member of an output (e.g. Lambda ``Payload``)."""
        return base64.b64decode(member["$base64"])


@dataclass(frozen=True)
class Awscurl:
    """awscurl (requirements-dev.txt), signing for execute-api with the exported credentials."""

    env: dict[str, str]

    def __call__(self, method: str, url: str, body: Any = None, *options: str) -> Completed:
        args = ["awscurl", "--service", "execute-api", *options, "-X", method, url]
        if body is not None:
            args += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        return _run(args, self.env)


def signed_session_via_proxy(env: dict[str, str]) -> requests.Session:
    """``signed_session`` in proxy mode: the proxy and CA bundle requests would read from the
    exported variables (given here explicitly: this process's own environment is not the user's)."""
    session = signed_session(env)
    session.trust_env = False
    session.proxies = {"https": env["HTTPS_PROXY"], "http": env["HTTP_PROXY"]}
    session.verify = env["REQUESTS_CA_BUNDLE"]
    return session


def signed_session(env: dict[str, str]) -> requests.Session:
    """requests with requests-aws4auth, keyed from the exported variables as its README shows."""
    session = requests.Session()
    session.auth = AWS4Auth(
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_REGION"], "execute-api"
    )
    return session

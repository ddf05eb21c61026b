"""Fixed conventions of the local cloud: ports, region, credentials, file locations.

Every part reads these from here so the CLI, the tests and the docs agree on one set of values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
DEFAULT_API_PORT = 4567
# --debug-function's worker: debugpy's customary port (VS Code's attach template uses it).
DEFAULT_DEBUG_PORT = 5678
DEFAULT_REGION = "us-east-1"
DEFAULT_STACK_NAME = "local"
DEFAULT_CONFIG_ENV = "local"

# Clients must sign with these; the API front verifies SigV4 against them.
ACCESS_KEY_ID = "localcloud"
SECRET_ACCESS_KEY = "localcloud-secret"  # noqa: S105 - a published local-only credential
LOCAL_CREDENTIALS = (ACCESS_KEY_ID, SECRET_ACCESS_KEY)
# moto's default account: ARNs it generates carry it.
ACCOUNT_ID = "123456789012"

# Where a detached cloud keeps its state and log, relative to the project root.
STATE_DIR_NAME = ".localcloud"

# Workers per function when the template sets no reserved concurrency.
DEFAULT_POOL_SIZE = 4


def port_from_env() -> int:
    return int(os.environ.get("LOCALCLOUD_PORT", DEFAULT_PORT))


def api_port_from_env() -> int:
    return int(os.environ.get("LOCALCLOUD_API_PORT", DEFAULT_API_PORT))


def region_from_env() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def local_aws_env(endpoint_url: str, region: str) -> dict[str, str]:
    """The variables that point an SDK at the local cloud with the local credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


@dataclass(frozen=True)
class Endpoints:
    """Where a running local cloud listens, and the environment a client needs to use it."""

    endpoint_url: str
    api_front_url: str | None
    region: str
    stack_name: str

    def client_env(self) -> dict[str, str]:
        env = {
            **local_aws_env(self.endpoint_url, self.region),
            "AWS_SAM_STACK_NAME": self.stack_name,
        }
        if self.api_front_url:
            env["LOCALCLOUD_API_FRONT"] = self.api_front_url
        return env


def state_dir(root: Path | None = None) -> Path:
    return (root or Path.cwd()) / STATE_DIR_NAME

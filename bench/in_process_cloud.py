"""A local cloud in the benchmark's own process, for parts that compare poller settings.

The idle and latency parts start one cloud per setting in one run, so every ratio compares
settings on the same machine minutes apart. The stack clients read the endpoint and the local
credentials from the environment, as they do against `make local`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from bench.processes import REPO
from localcloud.cloud import CloudOptions, LocalCloud
from localcloud.config import ACCESS_KEY_ID, DEFAULT_REGION, SECRET_ACCESS_KEY
from localcloud.esm.settings import PollerSettings
from stackclient.stack import Stack

_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": DEFAULT_REGION,
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
}
_CLEARED = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "LOCALCLOUD_API_FRONT",
)


@contextlib.contextmanager
def local_cloud(
    settings: PollerSettings, parameter_overrides: tuple[str, ...] = ()
) -> Iterator[tuple[LocalCloud, Stack]]:
    """template.yaml with its test resources, polled with `settings`; the environment set."""
    saved = {name: os.environ.get(name) for name in (*_ENVIRONMENT, *_CLEARED)}
    stack_name = f"bench-{uuid.uuid4().hex[:8]}"
    cloud = LocalCloud(
        CloudOptions(
            template=REPO / "template.yaml",
            stack_name=stack_name,
            region=DEFAULT_REGION,
            parameter_overrides=("DeployTestResources=true", *parameter_overrides),
            poller_settings=settings,
        )
    )
    try:
        for name in _CLEARED:
            os.environ.pop(name, None)
        os.environ.update(_ENVIRONMENT)
        stack = cloud.start()
        os.environ["AWS_ENDPOINT_URL"] = cloud.endpoint_url
        if cloud.api_front_url is not None:
            os.environ["LOCALCLOUD_API_FRONT"] = cloud.api_front_url
        yield cloud, Stack(name=stack_name, region=DEFAULT_REGION, outputs=dict(stack.outputs))
    finally:
        cloud.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

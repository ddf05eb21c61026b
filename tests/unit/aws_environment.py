"""The AWS environment of every unit test: dummy credentials, one region, nothing of the machine.

Each folder's ``aws_environment`` fixture calls ``isolate_aws`` and then sets what its handlers
read (table and queue names, Powertools settings).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REGION = "us-east-1"


def isolate_aws(patch: pytest.MonkeyPatch, home: Path) -> None:
    """No AWS_* variable, profile, config or credentials file of the machine can leak in."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            patch.delenv(name)
    patch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    patch.setenv("AWS_REGION", REGION)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_SESSION_TOKEN", "testing")
    patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon here

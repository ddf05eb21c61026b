"""Expand the SAM transform offline with samtranslator, as CloudFormation would in AWS."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from samtranslator.translator.transform import transform


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs; its bundled map is enough offline."""

    def load(self) -> dict[str, str]:
        return {}


@contextmanager
def _region(region: str) -> Iterator[None]:
    # samtranslator reads the region from boto's default session (the environment).
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


def translate(template: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    """SAM template (CodeUri already on S3) -> plain CloudFormation template."""
    # samtranslator logs a harmless feature-toggle notice at WARNING on every call.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    with _region(region):
        return cast(dict[str, Any], transform(template, dict(parameters), _NoManagedPolicies()))

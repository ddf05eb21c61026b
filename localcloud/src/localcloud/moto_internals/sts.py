"""The roles moto's STS backends hold for the credentials its AssumeRole* calls issued."""

from __future__ import annotations

from typing import Any


def assumed_role(access_key_id: str) -> Any | None:
    """moto's ``AssumedRole`` issued with this access key id, in any account and region."""
    from moto.sts.models import sts_backends  # noqa: PLC0415 - moto's import is slow

    for account_id in list(sts_backends.keys()):
        for backend in list(sts_backends[account_id].values()):
            role = backend.get_assumed_role_from_access_key(access_key_id)
            if role is not None:
                return role
    return None

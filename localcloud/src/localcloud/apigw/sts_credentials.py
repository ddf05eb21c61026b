"""Temporary credentials the local STS (moto's, in this process) issued: the one adapter to it.

- ``AssumeRole`` (and the web-identity / SAML variants) issue an ``ASIA…`` key, a secret, a
  session token and an expiry per call; moto keeps them in its STS backend, read here by
  access key id.
- ``GetSessionToken`` in moto 5.2.5 returns the same example key, secret and token on every call
  and keeps nothing (no expiry to check). ``session_token_credentials`` asks the local STS once
  for that answer, so exactly what it hands out is accepted, and nothing made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from localcloud.clients import local_client
from localcloud.moto_internals.sts import assumed_role


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key: str
    secret_key: str
    session_token: str
    expiration: datetime | None  # None: the issuer keeps no expiry
    account_id: str
    # Who signs with them, as API Gateway reports it: None means the account's own user.
    user_id: str | None = None
    arn: str | None = None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def assumed_role_credentials(access_key_id: str) -> TemporaryCredentials | None:
    """The AssumeRole* credentials moto issued for this key id, if any (any account)."""
    role = assumed_role(access_key_id)
    if role is None:
        return None
    return TemporaryCredentials(
        access_key=role.access_key_id,
        secret_key=role.secret_access_key,
        session_token=role.session_token,
        expiration=_aware(role.expiration),
        account_id=role.account_id,
        user_id=role.user_id,
        arn=role.arn,
    )


def session_token_credentials(
    endpoint_url: str, region: str, credentials: tuple[str, str]
) -> TemporaryCredentials:
    """What the local STS answers to GetSessionToken (moto: one fixed set, no expiry kept)."""
    sts = local_client("sts", endpoint_url, region, credentials=credentials)
    issued = sts.get_session_token()["Credentials"]
    return TemporaryCredentials(
        access_key=issued["AccessKeyId"],
        secret_key=issued["SecretAccessKey"],
        session_token=issued["SessionToken"],
        expiration=None,
        account_id=sts.get_caller_identity()["Account"],
    )


class LocalStsCredentials:
    """Looks up temporary credentials by access key id: AssumeRole's, then GetSessionToken's."""

    def __init__(self, session_token: TemporaryCredentials | None = None) -> None:
        self._session_token = session_token

    def __call__(self, access_key_id: str) -> TemporaryCredentials | None:
        if self._session_token is not None and access_key_id == self._session_token.access_key:
            return self._session_token
        return assumed_role_credentials(access_key_id)

"""AWS_IAM authorization: verify the SigV4 signature of an incoming request.

The signature is recomputed with botocore's own SigV4 implementation over exactly the headers the
client signed, the path and query as they arrived on the wire, and the body as received, then
compared in constant time. Errors carry API Gateway's messages and ``x-amzn-ErrorType`` values.

The canonical query string is tried two ways: as botocore builds it (the raw pairs, sorted) and
as the SigV4 spec does (decoded, then RFC 3986-encoded), so clients other than botocore verify too.

Credentials: the local long-term key (``LocalPrincipal``), signed without a session token, or
temporary credentials the local STS issued (``sts_credentials``), signed with their own session
token (``X-Amz-Security-Token``, signed or appended after signing) and refused once expired. Any
other token is invalid. Both ``Authorization`` and query-string (presigned) auth are accepted,
one at a time: two ``Authorization`` headers, two tokens, or header and query auth together are
refused. A presigned request is valid until ``X-Amz-Date`` + ``X-Amz-Expires`` (at most 7 days).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from botocore.auth import UNSIGNED_PAYLOAD, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from localcloud.apigw.http_types import IncomingRequest
from localcloud.apigw.sts_credentials import TemporaryCredentials

SERVICE = "execute-api"
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 3600
_QUERY_AUTH_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_SESSION_PARAM = "X-Amz-Security-Token"  # header or query parameter
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_ALGORITHM = "AWS4-HMAC-SHA256"
_AUTH_PARAM = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]*)")
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


@dataclass(frozen=True)
class CallerIdentity:
    """What API Gateway puts in ``requestContext.identity`` for an IAM-authorized caller."""

    access_key: str
    account_id: str
    caller: str
    user: str
    user_arn: str


TemporaryLookup = Callable[[str], TemporaryCredentials | None]


@dataclass(frozen=True)
class LocalPrincipal:
    """The local account's credentials: its one IAM user's long-term key, and a lookup of the
    temporary credentials the local STS issued."""

    access_key: str
    secret_key: str
    account_id: str
    user_name: str = "localcloud"
    temporary_credentials: TemporaryLookup | None = None

    def identity(self, access_key: str | None = None) -> CallerIdentity:
        # A stable IAM-user-style principal id (AIDA + 17 chars), derived from the access key.
        principal_id = "AIDA" + hashlib.sha256(self.access_key.encode()).hexdigest()[:17].upper()
        return CallerIdentity(
            access_key=access_key or self.access_key,
            account_id=self.account_id,
            caller=principal_id,
            user=principal_id,
            user_arn=f"arn:aws:iam::{self.account_id}:user/{self.user_name}",
        )


class SignatureRejected(Exception):
    """Why a request is not authorized; ``response_type`` names the gateway response to send."""

    def __init__(self, response_type: str, message: str, error_type: str) -> None:
        super().__init__(message)
        self.response_type = response_type
        self.message = message
        self.error_type = error_type


def _missing_token() -> SignatureRejected:
    return SignatureRejected(
        "MISSING_AUTHENTICATION_TOKEN",
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    )


def _invalid(message: str, error_type: str = "InvalidSignatureException") -> SignatureRejected:
    return SignatureRejected("INVALID_SIGNATURE", message, error_type)


def _incomplete(message: str) -> SignatureRejected:
    return SignatureRejected("INVALID_SIGNATURE", message, "IncompleteSignatureException")


def _invalid_token() -> SignatureRejected:
    return _invalid(
        "The security token included in the request is invalid.", "UnrecognizedClientException"
    )


def _expired_token() -> SignatureRejected:
    return SignatureRejected(
        "EXPIRED_TOKEN",
        "The security token included in the request is expired",
        "ExpiredTokenException",
    )


def _ambiguous(message: str) -> SignatureRejected:
    return SignatureRejected("INVALID_SIGNATURE", message, "IncompleteSignatureException")


@dataclass(frozen=True)
class _Authorization:
    access_key: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def _scope(credential: str) -> list[str]:
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise _incomplete(
            "Credential should be scoped to a valid region, service and 'aws4_request' terminator. "
            f"Credential={credential}"
        )
    return scope


def _parse_authorization(header: str) -> _Authorization:
    algorithm, _, rest = header.strip().partition(" ")
    params = dict(_AUTH_PARAM.findall(rest)) if algorithm == _ALGORITHM else {}
    missing = [
        name for name in ("Credential", "Signature", "SignedHeaders") if not params.get(name)
    ]
    if missing:
        detail = " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        raise _incomplete(f"{detail} Authorization={header}")
    scope = _scope(params["Credential"])
    return _Authorization(
        access_key=scope[0],
        scope_date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(params["SignedHeaders"].lower().split(";")),
        signature=params["Signature"],
    )


def _parse_time(stamp: str) -> datetime:
    try:
        return datetime.strptime(stamp, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError as error:
        raise _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{stamp}'.") from error


def _request_time(request: IncomingRequest) -> tuple[str, datetime]:
    stamp = request.header("X-Amz-Date")
    if stamp is None:
        raise _incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    return stamp, _parse_time(stamp)


def _check_freshness(stamp: str, moment: datetime, now: datetime) -> None:
    now_text = now.strftime(_AMZ_DATE)
    if moment < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(_AMZ_DATE)
        raise _invalid(
            f"Signature expired: {stamp} is now earlier than {earliest} ({now_text} - 5 min.)"
        )
    _check_not_future(stamp, moment, now)


def _check_not_future(stamp: str, moment: datetime, now: datetime) -> None:
    if moment > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(_AMZ_DATE)
        now_text = now.strftime(_AMZ_DATE)
        raise _invalid(
            f"Signature not yet current: {stamp} is still later than {latest} ({now_text} + 5 min.)"
        )


@dataclass(frozen=True)
class _SignedRequest:
    """Where the signature material came from: the Authorization header or the query string."""

    auth: _Authorization
    stamp: str
    moment: datetime
    token: str | None
    canonical_query: str  # the raw query the signature covers
    payload_hashes: tuple[str | None, ...]  # None: the body's SHA-256


def _raw_pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise _ambiguous(f"The request carries {name} {len(values)} times; it must carry one.")
    return values[0] if values else None


def _from_header(request: IncomingRequest, header: str) -> _SignedRequest:
    auth = _parse_authorization(header)
    stamp, moment = _request_time(request)
    token = _single(request.header_values(_SESSION_PARAM), _SESSION_PARAM)
    return _SignedRequest(auth, stamp, moment, token, request.raw_query, (None,))


def _from_query(pairs: list[tuple[str, str]], raw_query: str) -> _SignedRequest:
    values: dict[str, str] = {}
    for name in (*_QUERY_AUTH_PARAMS, _SESSION_PARAM):
        found = [unquote(value) for key, value in pairs if unquote(key) == name]
        value = _single(found, name)
        if value is not None:
            values[name] = value
    missing = [name for name in _QUERY_AUTH_PARAMS if not values.get(name)]
    if missing or values["X-Amz-Algorithm"] != _ALGORITHM:
        raise _incomplete(
            "AWS query-string parameters must include 'X-Amz-Algorithm' (AWS4-HMAC-SHA256), "
            "'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders' and "
            "'X-Amz-Signature'. Re-examine the query-string parameters."
        )
    scope = _scope(values["X-Amz-Credential"])
    auth = _Authorization(
        access_key=scope[0],
        scope_date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(values["X-Amz-SignedHeaders"].lower().split(";")),
        signature=values["X-Amz-Signature"],
    )
    stamp = values["X-Amz-Date"]
    # The signature covers every parameter but itself, as the client sent them.
    covered = "&".join(
        part
        for part in raw_query.split("&")
        if part and unquote(part.partition("=")[0]) != "X-Amz-Signature"
    )
    # A presigned URL may leave the payload unsigned (botocore does over https).
    return _SignedRequest(
        auth,
        stamp,
        _parse_time(stamp),
        values.get(_SESSION_PARAM),
        covered,
        (None, UNSIGNED_PAYLOAD),
    )


def _check_expires(
    pairs: list[tuple[str, str]], stamp: str, moment: datetime, now: datetime
) -> None:
    text = next(unquote(value) for key, value in pairs if unquote(key) == "X-Amz-Expires")
    if not text.isdigit() or not 0 < int(text) <= MAX_PRESIGNED_EXPIRES_S:
        raise _invalid(
            f"X-Amz-Expires must be a number of seconds from 1 to {MAX_PRESIGNED_EXPIRES_S}; "
            f"got '{text}'."
        )
    _check_not_future(stamp, moment, now)
    if now > moment + timedelta(seconds=int(text)):
        raise _invalid(
            f"Signature expired: {stamp} + {text} s is earlier than {now.strftime(_AMZ_DATE)}."
        )


class _Verifier(SigV4Auth):
    """botocore's SigV4 over exactly the headers the client listed in SignedHeaders."""

    def __init__(
        self,
        credentials: Credentials,
        region: str,
        signed: HTTPHeaders,
        payload_hash: str | None,
    ) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        # botocore would skip e.g. User-Agent and add Host itself; the client's list rules here.
        return self._signed

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash or str(super().payload(request))


def _spec_query(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def _expected_signatures(
    request: IncomingRequest, signed_request: _SignedRequest, secret_key: str
) -> list[tuple[str, str, str]]:
    """[(signature, canonical request, string to sign)] for each accepted canonicalization."""
    auth = signed_request.auth
    signed = HTTPHeaders()
    for name in auth.signed_headers:
        for value in request.header_values(name):
            signed[name] = value
    host = request.header("Host") or "localhost"
    raw_query = signed_request.canonical_query
    target = f"{request.raw_path}?{raw_query}" if raw_query else request.raw_path
    results = []
    variants: list[dict[str, Any]] = [{}]
    if raw_query:
        variants.append({"params": _spec_query(raw_query)})
    for payload_hash in signed_request.payload_hashes:
        verifier = _Verifier(
            Credentials(auth.access_key, secret_key), auth.region, signed, payload_hash
        )
        for variant in variants:
            # http:// so botocore always hashes the body (it may skip that for https).
            aws_request = AWSRequest(
                method=request.method, url=f"http://{host}{target}", data=request.body, **variant
            )
            aws_request.context["timestamp"] = signed_request.stamp
            canonical = verifier.canonical_request(aws_request)
            string_to_sign = verifier.string_to_sign(aws_request, canonical)
            signature = verifier.signature(string_to_sign, aws_request)
            results.append((signature, canonical, string_to_sign))
    return results


def _signing_secret(
    auth: _Authorization, token: str | None, principal: LocalPrincipal, now: datetime
) -> tuple[str, CallerIdentity]:
    """The secret to verify with and who signed, for the access key and token presented."""
    if hmac.compare_digest(auth.access_key.encode(), principal.access_key.encode()):
        if token is not None:  # a long-term key signs without a session token
            raise _invalid_token()
        return principal.secret_key, principal.identity()
    lookup = principal.temporary_credentials
    issued = lookup(auth.access_key) if lookup is not None else None
    if issued is None or token is None:
        raise _invalid_token()
    if not hmac.compare_digest(token.encode(), issued.session_token.encode()):
        raise _invalid_token()
    if issued.expiration is not None and now >= issued.expiration:
        raise _expired_token()
    if issued.user_id is None or issued.arn is None:  # GetSessionToken: the user's own
        return issued.secret_key, principal.identity(access_key=issued.access_key)
    return issued.secret_key, CallerIdentity(
        access_key=issued.access_key,
        account_id=issued.account_id,
        caller=issued.user_id,
        user=issued.user_id,
        user_arn=issued.arn,
    )


def _signed_request(request: IncomingRequest, now: datetime) -> _SignedRequest:
    headers = request.header_values("Authorization")
    pairs = _raw_pairs(request.raw_query)
    query_auth = any(unquote(key) in ("X-Amz-Signature", "X-Amz-Algorithm") for key, _ in pairs)
    if len(headers) > 1:
        raise _ambiguous("The request carries 2 Authorization headers; it must carry one.")
    if headers and query_auth:
        raise _ambiguous(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the "
            "Authorization header should be specified."
        )
    if headers and headers[0].strip():
        signed_request = _from_header(request, headers[0])
        _check_freshness(signed_request.stamp, signed_request.moment, now)
        return signed_request
    if query_auth:
        signed_request = _from_query(pairs, request.raw_query)
        _check_expires(pairs, signed_request.stamp, signed_request.moment, now)
        return signed_request
    raise _missing_token()


def verify_request(
    request: IncomingRequest,
    principal: LocalPrincipal,
    region: str,
    now: datetime | None = None,
) -> CallerIdentity:
    """The caller's identity when the request carries a valid SigV4 signature; raises otherwise."""
    moment_now = now or datetime.now(UTC)
    signed_request = _signed_request(request, moment_now)
    auth = signed_request.auth
    secret_key, identity = _signing_secret(auth, signed_request.token, principal, moment_now)
    stamp = signed_request.stamp
    if auth.scope_date != stamp[:8]:
        raise _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{auth.scope_date}' != '{stamp[:8]}', from '{stamp}'."
        )
    if auth.service != SERVICE:
        raise _invalid(f"Credential should be scoped to correct service: '{SERVICE}'.")
    if auth.region != region:
        raise _invalid(f"Credential should be scoped to a valid region, not '{auth.region}'.")
    if "host" not in auth.signed_headers:
        raise _invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")

    expected = _expected_signatures(request, signed_request, secret_key)
    # Every candidate is compared (no early exit) so timing does not depend on which one matched.
    matches = [hmac.compare_digest(sig.encode(), auth.signature.encode()) for sig, _, _ in expected]
    if not any(matches):
        _, canonical, string_to_sign = expected[0]
        raise _invalid(
            f"{_SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    return identity

"""AWS_IAM authorization: verify the SigV4 signature of an incoming request.

The signature is recomputed with botocore's own SigV4 implementation over exactly the headers the
client signed, the path and query as they arrived on the wire, and the body as received, then
compared in constant time. Errors carry API Gateway's messages and ``x-amzn-ErrorType`` values.

The canonical query string is tried two ways: as botocore builds it (the raw pairs, sorted) and
as the SigV4 spec does (decoded, then RFC 3986-encoded), so clients other than botocore verify too.
Presigned URLs (``X-Amz-Signature`` in the query) are not supported: such requests are unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from localcloud.apigw.http_types import IncomingRequest

SERVICE = "execute-api"
MAX_CLOCK_SKEW = timedelta(minutes=5)
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


@dataclass(frozen=True)
class LocalPrincipal:
    """The one IAM user the local cloud knows: the local credentials and who they belong to."""

    access_key: str
    secret_key: str
    account_id: str
    user_name: str = "localcloud"

    def identity(self) -> CallerIdentity:
        # A stable IAM-user-style principal id (AIDA + 17 chars), derived from the access key.
        principal_id = "AIDA" + hashlib.sha256(self.access_key.encode()).hexdigest()[:17].upper()
        return CallerIdentity(
            access_key=self.access_key,
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


@dataclass(frozen=True)
class _Authorization:
    access_key: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def _parse_authorization(header: str) -> _Authorization:
    algorithm, _, rest = header.strip().partition(" ")
    params = dict(_AUTH_PARAM.findall(rest)) if algorithm == _ALGORITHM else {}
    missing = [
        name for name in ("Credential", "Signature", "SignedHeaders") if not params.get(name)
    ]
    if missing:
        detail = " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        raise _incomplete(f"{detail} Authorization={header}")
    scope = params["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise _incomplete(
            "Credential should be scoped to a valid region, service and 'aws4_request' terminator. "
            f"Credential={params['Credential']}"
        )
    return _Authorization(
        access_key=scope[0],
        scope_date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(params["SignedHeaders"].lower().split(";")),
        signature=params["Signature"],
    )


def _request_time(request: IncomingRequest) -> tuple[str, datetime]:
    stamp = request.header("X-Amz-Date")
    if stamp is None:
        raise _incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    try:
        moment = datetime.strptime(stamp, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError as error:
        raise _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{stamp}'.") from error
    return stamp, moment


def _check_freshness(stamp: str, moment: datetime, now: datetime) -> None:
    now_text = now.strftime(_AMZ_DATE)
    if moment < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(_AMZ_DATE)
        raise _invalid(
            f"Signature expired: {stamp} is now earlier than {earliest} ({now_text} - 5 min.)"
        )
    if moment > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(_AMZ_DATE)
        raise _invalid(
            f"Signature not yet current: {stamp} is still later than {latest} ({now_text} + 5 min.)"
        )


class _Verifier(SigV4Auth):
    """botocore's SigV4 over exactly the headers the client listed in SignedHeaders."""

    def __init__(self, credentials: Credentials, region: str, signed: HTTPHeaders) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        # botocore would skip e.g. User-Agent and add Host itself; the client's list rules here.
        return self._signed


def _spec_query(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def _expected_signatures(
    request: IncomingRequest, auth: _Authorization, principal: LocalPrincipal, stamp: str
) -> list[tuple[str, str, str]]:
    """[(signature, canonical request, string to sign)] for each accepted query canonicalization."""
    signed = HTTPHeaders()
    for name in auth.signed_headers:
        for value in request.header_values(name):
            signed[name] = value
    verifier = _Verifier(
        Credentials(principal.access_key, principal.secret_key), auth.region, signed
    )
    host = request.header("Host") or "localhost"
    results = []
    variants: list[dict[str, Any]] = [{}]
    if request.raw_query:
        variants.append({"params": _spec_query(request.raw_query)})
    for variant in variants:
        # http:// so botocore always hashes the body (it may skip that for https).
        aws_request = AWSRequest(
            method=request.method,
            url=f"http://{host}{request.raw_target}",
            data=request.body,
            **variant,
        )
        aws_request.context["timestamp"] = stamp
        canonical = verifier.canonical_request(aws_request)
        string_to_sign = verifier.string_to_sign(aws_request, canonical)
        results.append((verifier.signature(string_to_sign, aws_request), canonical, string_to_sign))
    return results


def verify_request(
    request: IncomingRequest,
    principal: LocalPrincipal,
    region: str,
    now: datetime | None = None,
) -> CallerIdentity:
    """The caller's identity when the request carries a valid SigV4 signature; raises otherwise."""
    header = request.header("Authorization")
    if not header:
        raise _missing_token()
    auth = _parse_authorization(header)
    if not hmac.compare_digest(auth.access_key.encode(), principal.access_key.encode()):
        raise _invalid(
            "The security token included in the request is invalid.",
            "UnrecognizedClientException",
        )
    stamp, moment = _request_time(request)
    _check_freshness(stamp, moment, now or datetime.now(UTC))
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

    expected = _expected_signatures(request, auth, principal, stamp)
    # Every candidate is compared (no early exit) so timing does not depend on which one matched.
    matches = [hmac.compare_digest(sig.encode(), auth.signature.encode()) for sig, _, _ in expected]
    if not any(matches):
        _, canonical, string_to_sign = expected[0]
        raise _invalid(
            f"{_SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    return principal.identity()

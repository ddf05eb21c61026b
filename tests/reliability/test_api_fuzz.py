"""Scenario f: hypothesis against the real API front of the session's local cloud.

Arbitrary methods, paths, content types, header names and values (valid HTTP), bodies (JSON,
near-valid inbox messages, bytes, large JSON from 64 KiB to ~18 MB once escaped) and query strings,
each sent signed, unsigned or wrongly signed (wrong secret, or a body changed after signing). The
front must answer 2xx/4xx, never 5xx. A body over API Gateway's 10 MB quota gets 413 whoever sent
it (the quota is enforced before authorization); anything else not correctly signed gets 403
whatever else is wrong with it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localcloud.apigw.server import MAX_PAYLOAD_BYTES
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from stackclient.http import SignedApi

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

REGION = "us-east-1"
EXAMPLES = 150

_header_value = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=0, max_size=64
)
_header_name = st.from_regex(r"X-[A-Za-z0-9][A-Za-z0-9-]{0,24}", fullmatch=True)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
_inbox_like = st.fixed_dictionaries(
    {"id": st.text(max_size=140), "message": st.text(max_size=200)},
    optional={"type": st.text(max_size=70), "extra": _json},
)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "inbox", "bytes", "large", "empty"]))
    if kind == "json":
        return json.dumps(draw(_json)).encode()
    if kind == "inbox":
        return json.dumps(draw(_inbox_like)).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=2048))
    if kind == "large":
        size = draw(st.integers(min_value=64 * 1024, max_value=3 * 1024 * 1024))
        # json.dumps escapes these to 1, 6, 7 and 2 bytes: up to ~18 MB, over the 10 MB quota.
        filler = draw(st.sampled_from(["a", "é", "\\u0000", '"']))
        return json.dumps({"id": "big", "message": filler * (size // len(filler))}).encode()
    return b""


_any_method = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
_any_path = st.one_of(
    st.sampled_from(["/inbox", "/outbox", "/inbox/", "/", "/inbox/x", "/outbox/1"]),
    st.from_regex(r"/[A-Za-z0-9._~%-]{0,30}(/[A-Za-z0-9._~-]{0,10}){0,2}", fullmatch=True),
)
# Mostly the two routes (POST /inbox bodies, GET /outbox query strings), some anything else.
_routes = st.one_of(
    st.tuples(st.just("POST"), st.just("/inbox")),
    st.tuples(st.just("POST"), st.just("/inbox")),
    st.tuples(st.just("GET"), st.just("/outbox")),
    st.tuples(_any_method, _any_path),
)

_requests = st.fixed_dictionaries(
    {
        "route": _routes,
        "content_type": st.one_of(
            st.sampled_from(
                [
                    "application/json",
                    "application/json; charset=utf-8",
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                    "application/octet-stream",
                ]
            ),
            st.from_regex(r"[a-z]{1,10}/[a-z0-9.+-]{1,20}", fullmatch=True),
            st.none(),
        ),
        "headers": st.dictionaries(_header_name, _header_value, max_size=4),
        "params": st.dictionaries(st.text(max_size=12), st.text(max_size=24), max_size=4),
        "body": _bodies(),
        "signing": st.sampled_from(["signed", "unsigned", "wrong-secret", "tampered"]),
    }
)


def _send(api: SignedApi, session: requests.Session, case: dict[str, Any]) -> requests.Response:
    headers = dict(case["headers"])
    if case["content_type"] is not None:
        headers["Content-Type"] = case["content_type"]
    method, path = case["route"]
    prepared = requests.Request(
        method,
        api.base_url + path,
        data=case["body"],
        params=case["params"],
        headers=headers,
    ).prepare()
    if case["signing"] != "unsigned":
        secret = SECRET_ACCESS_KEY if case["signing"] != "wrong-secret" else "not-the-secret"
        signed = AWSRequest(
            method=prepared.method,
            url=prepared.url,
            data=prepared.body,
            headers=dict(prepared.headers),
        )
        SigV4Auth(Credentials(ACCESS_KEY_ID, secret), "execute-api", REGION).add_auth(signed)
        prepared.headers.update(dict(signed.headers))
        if case["signing"] == "tampered":
            prepared.body = (prepared.body or b"") + b" "  # type: ignore[operator]
            prepared.headers["Content-Length"] = str(len(prepared.body))
    return session.send(prepared, timeout=60)


def test_f_api_front_never_answers_5xx_and_always_demands_a_signature(api: SignedApi) -> None:
    session = requests.Session()
    seen: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=_requests)
    def check(case: dict[str, Any]) -> None:
        response = _send(api, session, case)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (response.status_code, response.text[:300])
        if len(case["body"]) > MAX_PAYLOAD_BYTES:
            assert response.status_code == 413, (len(case["body"]), response.status_code)
        elif case["signing"] != "signed":
            assert response.status_code == 403, (case["signing"], response.status_code)

    check()
    print(f"\nf_api_fuzz: {EXAMPLES} examples, statuses {dict(sorted(seen.items()))}")
    assert 403 in seen and any(200 <= status < 300 for status in seen)

"""Scenario f: hypothesis against the real API front of the session's local cloud.

Arbitrary methods, paths, content types, header names and values (valid HTTP), bodies (JSON,
valid and near-valid inbox messages, bytes, large JSON from 64 KiB to ~18 MB once escaped) and
query strings, half of them signed, the rest unsigned or wrongly signed (wrong secret, or a body
changed after signing). The front must answer 2xx/4xx, never 5xx, and every 4xx says why in
API Gateway's shape (``{"message": ...}``). A body over API Gateway's 10 MB quota gets 413 whoever
sent it (the quota is enforced before authorization); anything else not correctly signed gets 403
whatever else is wrong with it.

Nothing accepted is lost: every message POST /inbox answered 200 for must come out of GET /outbox
(the fuzz's own GETs included, whatever lease they asked for: each page is settled at once, ours
acknowledged, anyone else's released) exactly once, or be in InputQueueDLQ if it carried the
poison type. Messages are matched by content (id, message, type) as a multiset: hypothesis
repeats examples.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
import requests
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localcloud.apigw.front_limits import MAX_PAYLOAD_BYTES
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from stackclient.http import SignedApi, SigV4
from stackclient.outbox import OutboxReader
from stackclient.stack import Stack
from tests.reliability.faults_and_tallies import Summary, drain_queue

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

REGION = "us-east-1"
EXAMPLES = 150
POISON_TYPE = "malformed"  # the template's test hook (POISON_MESSAGE_TYPE with test resources)
Content = tuple[str, str, str | None]  # (id, message, type) of an inbox message

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
# What the InboxMessage model accepts, any Unicode in the message: these reach the outbox.
_inbox_valid = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[A-Za-z0-9._:-]{1,128}", fullmatch=True),
        "message": st.text(min_size=1, max_size=300),
    },
    optional={
        "type": st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True) | st.just(POISON_TYPE)
    },
)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "inbox", "valid", "receipts", "bytes", "large", "empty"]))
    if kind == "json":
        return json.dumps(draw(_json)).encode()
    if kind == "inbox":
        return json.dumps(draw(_inbox_like)).encode()
    if kind == "receipts":
        return json.dumps({"receipts": draw(st.lists(st.text(max_size=40), max_size=12))}).encode()
    if kind == "valid":
        return json.dumps(draw(_inbox_valid)).encode()
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
# Mostly the routes (POST /inbox bodies, GET /outbox query strings, receipt bodies), some
# anything else.
_routes = st.one_of(
    st.tuples(st.just("POST"), st.just("/inbox")),
    st.tuples(st.just("POST"), st.just("/inbox")),
    st.tuples(st.just("GET"), st.just("/outbox")),
    st.tuples(st.just("POST"), st.sampled_from(["/outbox/acks", "/outbox/releases"])),
    st.tuples(_any_method, _any_path),
)

_headers = st.dictionaries(_header_name, _header_value, max_size=4)
_arbitrary_requests = st.fixed_dictionaries(
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
        "headers": _headers,
        "params": st.dictionaries(st.text(max_size=12), st.text(max_size=24), max_size=4),
        "body": _bodies(),
        # Half signed, so that most examples get past authorization to what lies behind it.
        "signing": st.sampled_from(
            ["signed", "signed", "signed", "unsigned", "wrong-secret", "tampered"]
        ),
    }
)
# What a client sends: a signed, valid POST /inbox (JSON ASCII-escaped or raw UTF-8, any text),
# so that enough messages get through for the nothing-lost count to mean something.
_inbox_posts = st.fixed_dictionaries(
    {
        "route": st.just(("POST", "/inbox")),
        "content_type": st.sampled_from(["application/json", "application/json; charset=utf-8"]),
        "headers": _headers,
        "params": st.just({}),
        "body": st.tuples(_inbox_valid, st.booleans()).map(
            lambda m: json.dumps(m[0], ensure_ascii=m[1]).encode()
        ),
        "signing": st.just("signed"),
    }
)
# A third to a half of the examples well-formed (hypothesis collapses a repeated branch of
# one_of, and leans towards 0 here).
_requests = st.integers(0, 2).flatmap(lambda i: _inbox_posts if i == 0 else _arbitrary_requests)


def _send(api: SignedApi, session: requests.Session, case: dict[str, Any]) -> requests.Response:
    headers = dict(case["headers"])
    if case["content_type"] is not None:
        headers["Content-Type"] = case["content_type"]
    method, path = case["route"]
    auth = None
    if case["signing"] != "unsigned":
        secret = SECRET_ACCESS_KEY if case["signing"] != "wrong-secret" else "not-the-secret"
        auth = SigV4(Credentials(ACCESS_KEY_ID, secret), REGION)
    prepared = requests.Request(
        method,
        api.base_url + path,
        data=case["body"],
        params=case["params"],
        headers=headers,
        auth=auth,
    ).prepare()
    if case["signing"] == "tampered":
        prepared.body = (prepared.body or b"") + b" "  # type: ignore[operator]
        prepared.headers["Content-Length"] = str(len(prepared.body))
    return session.send(prepared, timeout=60)


def _content(message: dict[str, Any]) -> Content:
    return (message["id"], message["message"], message.get("type"))


class Ledger:
    """What POST /inbox accepted and what came back out of GET /outbox or the DLQ."""

    def __init__(self, api: SignedApi) -> None:
        self.statuses: Counter[int] = Counter()
        self.accepted: Counter[Content] = Counter()
        self.delivered: Counter[Content] = Counter()
        self.foreign: set[str] = set()  # messageIds this scenario did not send (raw, others')
        self.reader = OutboxReader(api, self.is_ours, lease_s=10)

    def is_ours(self, message: dict[str, Any]) -> bool:
        ours = message.get("id") is not None and _content(message) in self.accepted
        if not ours:
            self.foreign.add(message["messageId"])
        return ours

    def note(self, case: dict[str, Any], response: requests.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code != 200 or not response.content:  # HEAD has no body
            return
        answer = response.json()
        if "messageId" in answer:  # an SQS SendMessage through POST /inbox
            self.accepted[_content(json.loads(case["body"]))] += 1
        if "messages" in answer:  # a GET /outbox page, with whatever lease the fuzz asked for
            self.take(answer["messages"])

    def take(self, messages: list[dict[str, Any]]) -> bool:
        """Settle a page (acknowledge ours, release the rest); True if anything was ours."""
        page = self.reader.settle(messages)
        for message in page.ours + page.duplicates:  # a redelivery counts as a duplicate
            self.delivered[_content(message)] += 1
        return bool(page.ours or page.duplicates)

    def missing(self) -> Counter[Content]:
        """Accepted and not (yet) read back from the outbox."""
        return self.accepted - self.delivered

    def poisoned(self) -> Counter[Content]:
        """Accepted with the poison type: the function rejects them, they belong in the DLQ."""
        return Counter({c: n for c, n in self.accepted.items() if c[2] == POISON_TYPE})


def _read_outbox_until_complete(api: SignedApi, ledger: Ledger, timeout_s: float) -> None:
    """GET /outbox until every accepted message came back, then until it stays empty."""
    deadline = time.monotonic() + timeout_s
    empty_in_a_row = 0
    while time.monotonic() < deadline and empty_in_a_row < 3:
        response = api.request("GET", "/outbox", params={"lease": "10", "max": "10"})
        assert response.status_code == 200, response.text
        any_ours = ledger.take(response.json()["messages"])
        complete = not ledger.missing() - ledger.poisoned()
        empty_in_a_row = empty_in_a_row + 1 if complete and not any_ours else 0
        if not any_ours:
            time.sleep(0.3)


def _read_dlq_until_complete(
    sqs: Any, queue_url: str, ledger: Ledger, timeout_s: float
) -> Counter[Content]:
    """Drain InputQueueDLQ until the poison-type messages are in (five receives each first)."""
    found: Counter[Content] = Counter()
    deadline = time.monotonic() + timeout_s
    while True:
        for message in drain_queue(sqs, queue_url, quiet_s=2, limit_s=timeout_s):
            found[_content(json.loads(message["Body"]))] += 1
        if not ledger.poisoned() - found or time.monotonic() > deadline:
            return found


def test_f_api_front_never_answers_5xx_and_loses_nothing_it_accepted(
    api: SignedApi, stack: Stack, clients: dict[str, Any], report: Any
) -> None:
    session = requests.Session()
    ledger = Ledger(api)
    started = time.monotonic()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=_requests)
    def check(case: dict[str, Any]) -> None:
        response = _send(api, session, case)
        assert response.status_code < 500, (response.status_code, response.text[:300])
        if response.status_code >= 400 and case["route"][0] != "HEAD":
            assert response.json().get("message"), (response.status_code, response.text[:300])
        if len(case["body"]) > MAX_PAYLOAD_BYTES:
            assert response.status_code == 413, (len(case["body"]), response.status_code)
        elif case["signing"] != "signed":
            assert response.status_code == 403, (case["signing"], response.status_code)
        ledger.note(case, response)

    check()
    _read_outbox_until_complete(api, ledger, timeout_s=120)
    dlq = _read_dlq_until_complete(clients["sqs"], stack.output("InputQueueDLQUrl"), ledger, 60)
    missing = ledger.missing()
    lost = missing - dlq
    # Read back more often than accepted, or in the DLQ as well as read back.
    duplicated = (ledger.delivered - ledger.accepted) + (dlq - missing)
    report(
        Summary(
            scenario="f_api_fuzz",
            sent=ledger.accepted.total(),
            written=(ledger.delivered & ledger.accepted).total(),
            in_dlq=(dlq & missing).total(),
            lost=lost.total(),
            duplicated=duplicated.total(),
            dlq_name="InputQueueDLQ",
            details=[
                f"sent = messages POST /inbox accepted (200) out of {EXAMPLES} arbitrary requests",
                f"written = read back from GET /outbox; "
                f"{ledger.poisoned().total()} carried the poison type",
                f"statuses {dict(sorted(ledger.statuses.items()))}: never a 5xx",
                f"{len(ledger.foreign)} outbox messages not ours (released)",
            ],
            seconds=time.monotonic() - started,
        )
    )
    assert not lost, f"accepted but never delivered: {list(lost)[:5]}"
    assert not duplicated, f"delivered more often than accepted: {list(duplicated)[:5]}"
    assert dlq == ledger.poisoned(), "the poison-type messages, and only they, belong in the DLQ"
    assert 403 in ledger.statuses and 400 in ledger.statuses
    assert ledger.accepted.total() >= 10, "too few examples got through to the queue"

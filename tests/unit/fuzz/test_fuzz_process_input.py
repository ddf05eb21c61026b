"""Fuzzing ProcessInputQueueFunction: arbitrary SQS bodies mixed with valid inbox messages.

Bodies go onto the template's input queue on moto; a stand-in event source mapping polls until
the queue is empty. Then every valid body is on the output queue exactly once with its content,
every invalid one in InputQueueDLQ exactly once and unchanged, and no invocation ever failed the
whole batch or reported a valid message.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import HealthCheck, example, given, settings

from stackclient.queues import queue_depth
from tests.repository import template
from tests.unit.fuzz import tally
from tests.unit.fuzz.conftest import Cloud
from tests.unit.fuzz.inbox_account import (
    drain_input_like_lambda,
    fresh_inbox_queues,
    receive_all,
    send_bodies,
)
from tests.unit.fuzz.inbox_cases import MESSAGE_MAX_CHARS, BodyCase, bodies, contract_accepts
from tests.unit.fuzz.tally import ScenarioTally

MAX_RECEIVE_COUNT = template()["Resources"]["InputQueue"]["Properties"]["RedrivePolicy"][
    "maxReceiveCount"
]

# The falsifying example's lost body: valid at the API (the last "message" wins), dead-lettered
# by the function, whose JSON parser refused the escaped lone surrogate in the first.
OVERRIDDEN_LONE_SURROGATE = BodyCase(
    '{"message":"\\udbd9\\u0083","id": "vBkD", "message": "\\udb8f\\uded0", "type": "9J"}',
    True,
    "edge:duplicate_name",
)
# The largest valid body: 65,536 astral characters, each 12 bytes escaped.
LARGEST_VALID = BodyCase(
    json.dumps({"id": "x" * 128, "message": "\U0001f600" * MESSAGE_MAX_CHARS, "type": "t" * 64}),
    True,
    "valid",
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases=bodies())
@example(cases=[OVERRIDDEN_LONE_SURROGATE, BodyCase("{not json", False, "arbitrary")])
@example(cases=[LARGEST_VALID])
def test_valid_bodies_are_forwarded_once_and_invalid_ones_dead_lettered(
    cloud: Cloud, cases: list[BodyCase]
) -> None:
    for case in cases:
        if case.kind.startswith("near_miss"):
            assert not contract_accepts(case.body), f"oracle accepts a {case.kind} body"
    sqs = cloud.sqs
    with fresh_inbox_queues(sqs) as queues:
        message_ids = send_bodies(sqs, queues.input.url, [case.body for case in cases])
        by_id = dict(zip(message_ids, cases, strict=True))
        valid = {message_id for message_id, case in by_id.items() if case.valid}
        invalid = set(by_id) - valid

        # Each invalid message needs maxReceiveCount receives, ten messages per poll at most.
        log = drain_input_like_lambda(
            sqs, queues, max_polls=len(valid) + (MAX_RECEIVE_COUNT + 1) * len(invalid) + 5
        )
        output = [json.loads(message["Body"]) for message in receive_all(sqs, queues.output.url)]
        forwarded = Counter(body["inbox_message_id"] for body in output)
        dead = receive_all(sqs, queues.input_dlq.url)
        dead_lettered = Counter(message["MessageId"] for message in dead)

        outcome = ScenarioTally(
            examples=1,
            sent=len(cases),
            written=len(valid & set(forwarded)),
            items=len(output),
            dead_lettered=len(invalid & set(dead_lettered)),
            lost=len(valid - set(forwarded)) + len(invalid - set(dead_lettered)),
            duplicated=sum(count - 1 for count in forwarded.values())
            + sum(count - 1 for count in dead_lettered.values()),
            invocations=log.invocations,
        )
        tally.record("inbox", outcome)

        assert (outcome.lost, outcome.duplicated) == (0, 0)
        # Never a valid message reported; an invalid one reported on every receive.
        assert set(log.reported) <= invalid
        assert all(log.reported.get(mid, 0) == log.receives[mid] for mid in invalid)
        assert all(log.receives[mid] == MAX_RECEIVE_COUNT for mid in invalid)
        assert queue_depth(sqs, queues.input.url) == (0, 0)

        assert set(forwarded) == valid
        assert all(count == 1 for count in forwarded.values())
        for body in output:
            sent = json.loads(by_id[body["inbox_message_id"]].body)
            assert (body["id"], body["message"], body["type"]) == (
                sent["id"],
                sent["message"],
                sent.get("type"),
            )

        assert set(dead_lettered) == invalid
        assert all(count == 1 for count in dead_lettered.values())
        assert all(message["Body"] == by_id[message["MessageId"]].body for message in dead)

"""stackclient.queues.queue_depth, which the suites wait on for "nothing left", on moto.

moto evaluates each count at its own clock reading, so one GetQueueAttributes can count a
message whose visibility timeout ends between the two readings in neither: (0, 0) for a queue
holding a message. That let an ESM test see an empty queue before its message was processed.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.sqs import models as sqs_models

from stackclient.queues import queue_depth


def test_a_message_whose_visibility_ends_during_the_read_is_still_counted(
    sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqs.create_queue(QueueName="depth")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)
    (message,) = sqs_models.sqs_backends["123456789012"]["us-east-1"].queues["depth"]._messages
    in_flight_until = message.visible_at

    # moto's clock, read many times per GetQueueAttributes: the visibility timeout ends after
    # `readings` readings of it, wherever that falls in the read.
    for readings in range(1, 60):
        clock = iter(range(readings))
        monkeypatch.setattr(
            sqs_models,
            "unix_time_millis",
            lambda clock=clock: (
                in_flight_until if next(clock, None) is not None else in_flight_until + 1
            ),
        )
        visible, in_flight = queue_depth(sqs, url)
        assert visible + in_flight == 1, f"visibility ended after {readings} clock readings"

"""ListenerFunction on moto: listener item shape, TTL, collapsing and failure reporting."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from record_stream.logic.listener_items import LISTENER_TTL_SECONDS
from tests.unit.record_stream.conftest import Invoke
from tests.unit.record_stream.moto_resources import LISTENER_TABLE, RecordStreamAws, load_event
from tests.unit.record_stream.stream_faults import hold_back_items


def _image(record: dict[str, Any]) -> dict[str, Any]:
    image: dict[str, Any] = record["dynamodb"]["NewImage"]
    return image


def test_listener_items_copy_key_and_timings(listener: Invoke, aws: RecordStreamAws) -> None:
    event = load_event("dynamodb-stream-listener.json")
    assert listener(event) == {"batchItemFailures": []}

    items = aws.items(LISTENER_TABLE)
    # Four stream records, one of them a MODIFY of an earlier key: three items.
    assert len(items) == 3
    newest_by_key = {
        (_image(r)["PK"]["S"], _image(r)["SK"]["S"]): _image(r) for r in event["Records"]
    }
    for (batch, record_id), item in items.items():
        image = newest_by_key[(batch, record_id)]
        assert set(item) == {
            "PK",
            "SK",
            "batch",
            "id",
            "arrival_ms",
            "processed_ms",
            "captured_ms",
            "expires_at",
        }
        assert item["batch"] == {"S": batch}
        assert item["id"] == {"S": record_id}
        assert item["arrival_ms"] == image["arrival_ms"]
        assert item["processed_ms"] == image["processed_ms"]
        captured_ms = int(item["captured_ms"]["N"])
        assert captured_ms >= int(image["processed_ms"]["N"])
        assert int(item["expires_at"]["N"]) == captured_ms // 1000 + LISTENER_TTL_SECONDS


def test_listener_reports_failed_writes_by_stream_sequence_number(
    listener: Invoke, aws: RecordStreamAws, handler_dynamodb_client: Any
) -> None:
    event = load_event("dynamodb-stream-listener.json")
    # batch-0001-00000 appears twice (INSERT then MODIFY): both stream records are reported.
    with hold_back_items(
        handler_dynamodb_client,
        LISTENER_TABLE,
        lambda item, attempt: item["SK"]["S"] == "batch-0001-00000",
    ):
        response = listener(event)
    expected = {
        r["dynamodb"]["SequenceNumber"]
        for r in event["Records"]
        if _image(r)["SK"]["S"] == "batch-0001-00000"
    }
    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == expected
    assert len(aws.items(LISTENER_TABLE)) == 2


def test_listener_all_failed_raises(
    listener: Invoke, aws: RecordStreamAws, handler_dynamodb_client: Any
) -> None:
    with (
        hold_back_items(handler_dynamodb_client, LISTENER_TABLE, lambda item, attempt: True),
        pytest.raises(BatchProcessingError),
    ):
        listener(load_event("dynamodb-stream-listener.json"))


def test_image_without_key_is_skipped_not_retried(listener: Invoke, aws: RecordStreamAws) -> None:
    event = load_event("dynamodb-stream-listener.json")
    del event["Records"][1]["dynamodb"]["NewImage"]["SK"]
    assert listener(event) == {"batchItemFailures": []}
    assert len(aws.items(LISTENER_TABLE)) == 2


@pytest.mark.parametrize(
    "make_odd",
    [
        pytest.param(
            lambda record: record["dynamodb"].update(StreamViewType="EVERYTHING"),
            id="envelope-field-out-of-range",
        ),
        pytest.param(
            lambda record: record["dynamodb"]["NewImage"].update(note={"Q": "no such type"}),
            id="image-attribute-of-unknown-type",
        ),
        pytest.param(
            lambda record: record["dynamodb"]["NewImage"].update(note={"N": "not a number"}),
            id="image-number-that-does-not-parse",
        ),
        pytest.param(
            lambda record: record["dynamodb"].update(NewImage="not a map"),
            id="image-that-is-not-a-map",
        ),
        pytest.param(lambda record: record.pop("dynamodb"), id="no-dynamodb-section"),
    ],
)
def test_an_odd_record_is_skipped_and_its_neighbours_are_captured(
    listener: Invoke, aws: RecordStreamAws, make_odd: Any
) -> None:
    event = load_event("dynamodb-stream-listener.json")
    make_odd(event["Records"][1])  # batch-0001-00001, the only record of its key

    assert listener(event) == {"batchItemFailures": []}

    assert sorted(aws.items(LISTENER_TABLE)) == [
        ("batch-0001", "batch-0001-00000"),
        ("batch-0002", "batch-0002-00000"),
    ]

"""RecordProcessorFunction end to end on moto: sample events, partial failures, idempotency."""

from __future__ import annotations

import base64
import copy
import json
import logging
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from events.record_stream.generate_events import kinesis_record
from lambda_observability.powertools import logger
from record_stream.logic.record_payload import PARTITION_KEY_MAX_BYTES, SORT_KEY_MAX_BYTES
from tests.unit.record_stream.conftest import Invoke
from tests.unit.record_stream.moto_resources import PROCESSED_TABLE, RecordStreamAws, load_event
from tests.unit.record_stream.stream_faults import fail_calls, fail_entries, hold_back_items

NO_FAILURES: dict[str, Any] = {"batchItemFailures": []}


def _payload(record: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(base64.b64decode(record["kinesis"]["data"]))
    return payload


def _sequence(record: dict[str, Any]) -> str:
    sequence: str = record["kinesis"]["sequenceNumber"]
    return sequence


def _labelled(event: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The sample's records whose partition key (their expected outcome) starts with `prefix`."""
    return [r for r in event["Records"] if r["kinesis"]["partitionKey"].startswith(prefix)]


def _valid_keys(event: dict[str, Any]) -> set[tuple[str, str]]:
    return {(_payload(r)["batch"], _payload(r)["id"]) for r in _labelled(event, "valid:")}


def _failures(response: dict[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}


@pytest.mark.parametrize(
    "name",
    [
        "kinesis-single.json",
        "kinesis-batch.json",
        "kinesis-max-batch.json",
        "kinesis-large-records.json",
    ],
)
def test_valid_sample_events_become_items(
    name: str, process_records: Invoke, aws: RecordStreamAws
) -> None:
    event = load_event(name)
    assert process_records(event) == NO_FAILURES

    items = aws.items()
    assert len(items) == len(event["Records"])
    for record in event["Records"]:
        payload = _payload(record)
        item = items[(payload["batch"], payload["id"])]
        shard_id, sequence = record["eventID"].split(":")
        assert item["sequence_number"] == {"S": sequence}
        assert item["shard_id"] == {"S": shard_id}
        arrival_ms = round(record["kinesis"]["approximateArrivalTimestamp"] * 1000)
        assert item["arrival_ms"] == {"N": str(arrival_ms)}
        assert int(item["processed_ms"]["N"]) >= arrival_ms
        # Only the key, timing and provenance are stored (padding and extra fields are not).
        assert set(item) == {
            "PK",
            "SK",
            "arrival_ms",
            "processed_ms",
            "shard_id",
            "sequence_number",
        }
    assert aws.rejected_messages() == []


def test_large_sample_holds_keys_at_dynamodb_limits(
    process_records: Invoke, aws: RecordStreamAws
) -> None:
    process_records(load_event("kinesis-large-records.json"))
    key_sizes = [(len(pk.encode()), len(sk.encode())) for pk, sk in aws.items()]
    assert (PARTITION_KEY_MAX_BYTES, SORT_KEY_MAX_BYTES) in key_sizes


def test_malformed_sample_writes_the_valid_and_rejects_the_rest_with_reasons(
    process_records: Invoke, aws: RecordStreamAws
) -> None:
    event = load_event("kinesis-malformed.json")
    # Each partition key says what must happen: "valid:<case>" or "reject:<reason>:<case>".
    outcomes = {_sequence(r): r["kinesis"]["partitionKey"].split(":") for r in event["Records"]}

    assert process_records(event) == NO_FAILURES

    expected_items = {
        (_payload(r)["batch"], _payload(r)["id"])
        for r in event["Records"]
        if outcomes[_sequence(r)][0] == "valid"
    }
    items = aws.items()
    assert set(items) == expected_items
    # A duplicate key inside the batch is collapsed; the later record wins.
    assert items[("mixed", "ok-1")]["sequence_number"] == {
        "S": next(
            _sequence(r)
            for r in event["Records"]
            if r["kinesis"]["partitionKey"] == "valid:duplicate-of-plain"
        )
    }

    messages = {m["sequence_number"]: m for m in aws.rejected_messages()}
    expected_rejects = {
        seq: outcome[1] for seq, outcome in outcomes.items() if outcome[0] == "reject"
    }
    assert {seq: m["reason"] for seq, m in messages.items()} == expected_rejects
    by_sequence = {_sequence(r): r for r in event["Records"]}
    for sequence, message in messages.items():
        record = by_sequence[sequence]
        assert message["data_base64"] == record["kinesis"]["data"]
        assert message["data_truncated"] is False
        assert message["partition_key"] == record["kinesis"]["partitionKey"]
        assert message["event_source_arn"] == record["eventSourceARN"]
        assert message["shard_id"] == record["eventID"].split(":")[0]
        assert message["arrival_ms"] == round(
            record["kinesis"]["approximateArrivalTimestamp"] * 1000
        )
        assert message["detail"]


def test_a_batch_of_only_malformed_records_succeeds(
    process_records: Invoke, aws: RecordStreamAws
) -> None:
    event = load_event("kinesis-malformed.json")
    event["Records"] = [
        r for r in event["Records"] if r["kinesis"]["partitionKey"].startswith("reject:")
    ]
    assert process_records(event) == NO_FAILURES
    assert aws.items() == {}
    assert len(aws.rejected_messages()) == len(event["Records"])


def test_same_event_twice_gives_the_same_items(
    process_records: Invoke, aws: RecordStreamAws
) -> None:
    event = load_event("kinesis-batch.json")
    process_records(copy.deepcopy(event))
    first = aws.items()
    process_records(copy.deepcopy(event))
    second = aws.items()
    assert set(second) == set(first)

    def without_processed_ms(item: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in item.items() if name != "processed_ms"}

    assert {k: without_processed_ms(v) for k, v in second.items()} == {
        k: without_processed_ms(v) for k, v in first.items()
    }


def test_transient_unprocessed_items_are_retried_without_failures(
    process_records: Invoke,
    aws: RecordStreamAws,
    handler_dynamodb_client: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = load_event("kinesis-batch.json")
    with hold_back_items(
        handler_dynamodb_client, PROCESSED_TABLE, lambda item, attempt: attempt == 1
    ):
        assert process_records(event) == NO_FAILURES
    assert len(aws.items()) == 100
    metrics = _emitted_metrics(capsys.readouterr().out)
    assert metrics["RecordsRetried"] == 100
    assert metrics["RecordsWritten"] == 100
    assert metrics["RecordsFailed"] == 0


def test_persistently_unprocessed_items_are_reported_others_written(
    process_records: Invoke, aws: RecordStreamAws, handler_dynamodb_client: Any
) -> None:
    event = load_event("kinesis-batch.json")
    stuck = {_payload(r)["id"] for r in event["Records"][10:13]}
    with hold_back_items(
        handler_dynamodb_client, PROCESSED_TABLE, lambda item, attempt: item["SK"]["S"] in stuck
    ):
        response = process_records(event)
    assert _failures(response) == {_sequence(r) for r in event["Records"][10:13]}
    assert len(aws.items()) == 97
    assert not {key[1] for key in aws.items()} & stuck


def test_near_the_timeout_unprocessed_items_are_reported_not_retried(
    process_records: Invoke, aws: RecordStreamAws, handler_dynamodb_client: Any
) -> None:
    # 2 s left, under the 3 s margin: a first attempt's UnprocessedItems are reported at once
    # (Lambda retries from the lowest) instead of backing off towards a timeout.
    event = load_event("kinesis-batch.json")
    held = {_payload(r)["id"] for r in event["Records"][40:45]}
    with hold_back_items(
        handler_dynamodb_client,
        PROCESSED_TABLE,
        lambda item, attempt: item["SK"]["S"] in held and attempt == 1,
    ) as log:
        response = process_records(event, remaining_ms=2_000)
    assert _failures(response) == {_sequence(r) for r in event["Records"][40:45]}
    assert log.calls == 4  # 100 records: 4 chunks, one attempt each
    assert len(aws.items()) == 95


def test_write_errors_report_the_chunk_and_keep_the_rest(
    process_records: Invoke, aws: RecordStreamAws, handler_dynamodb_client: Any
) -> None:
    event = load_event("kinesis-batch.json")

    def first_chunk(params: dict[str, Any]) -> bool:
        puts = params["RequestItems"][PROCESSED_TABLE]
        return any(
            p["PutRequest"]["Item"]["SK"]["S"] == _payload(event["Records"][0])["id"] for p in puts
        )

    with fail_calls(
        handler_dynamodb_client, "dynamodb.BatchWriteItem", "InternalServerError", first_chunk
    ):
        response = process_records(event)
    assert _failures(response) == {_sequence(r) for r in event["Records"][:25]}
    assert len(aws.items()) == 75


def test_every_record_failing_raises_so_lambda_retries_the_batch(
    process_records: Invoke, aws: RecordStreamAws, handler_dynamodb_client: Any
) -> None:
    with (
        fail_calls(
            handler_dynamodb_client,
            "dynamodb.BatchWriteItem",
            "ProvisionedThroughputExceededException",
        ),
        pytest.raises(BatchProcessingError),
    ):
        process_records(load_event("kinesis-batch.json"))
    assert aws.items() == {}


def test_duplicates_whose_write_fails_are_all_reported(
    process_records: Invoke, aws: RecordStreamAws, handler_dynamodb_client: Any
) -> None:
    event = load_event("kinesis-malformed.json")
    duplicates = {
        _sequence(r)
        for r in _labelled(event, "valid:plain") + _labelled(event, "valid:duplicate-of")
    }
    with hold_back_items(
        handler_dynamodb_client, PROCESSED_TABLE, lambda item, attempt: item["SK"]["S"] == "ok-1"
    ):
        response = process_records(event)
    assert _failures(response) == duplicates


def test_rejected_queue_down_reports_the_rejected_records(
    process_records: Invoke, aws: RecordStreamAws, handler_sqs_client: Any
) -> None:
    event = load_event("kinesis-malformed.json")
    rejected = {_sequence(r) for r in _labelled(event, "reject:")}
    with fail_calls(handler_sqs_client, "sqs.SendMessageBatch", "KMS.ThrottlingException"):
        response = process_records(event)
    assert _failures(response) == rejected
    assert len(aws.items()) == len(_valid_keys(event))  # the valid records were still written
    assert aws.rejected_messages() == []


def test_entries_the_queue_refuses_are_reported(
    process_records: Invoke, aws: RecordStreamAws, handler_sqs_client: Any
) -> None:
    event = load_event("kinesis-malformed.json")
    refused = {_sequence(r) for r in _labelled(event, "reject:invalid_json:")}
    with fail_entries(
        handler_sqs_client,
        lambda entry: json.loads(entry["MessageBody"])["reason"] == "invalid_json",
    ):
        response = process_records(event)
    assert _failures(response) == refused
    delivered = {m["sequence_number"] for m in aws.rejected_messages()}
    assert len(delivered) == len(_labelled(event, "reject:")) - len(refused)
    assert not delivered & refused


def test_record_contents_never_reach_info_logs(
    process_records: Invoke, aws: RecordStreamAws, caplog: pytest.LogCaptureFixture
) -> None:
    event = load_event("kinesis-malformed.json")
    with caplog.at_level(logging.INFO):
        process_records(event)
    # The lines as Lambda would print them, formatted by the Powertools JSON formatter.
    lines = [logger.registered_formatter.format(record) for record in caplog.records]
    logs = "\n".join(lines)
    (summary,) = [json.loads(line) for line in lines if '"Records rejected"' in line]
    assert summary["level"] == "INFO"
    assert sum(summary["reasons"].values()) == len(_labelled(event, "reject:"))
    assert summary["reasons"]["invalid_json"] == len(_labelled(event, "reject:invalid_json:"))
    # Per-record lines are DEBUG only.
    assert not any('"Record rejected"' in line for line in lines)
    for record in event["Records"]:
        if record["kinesis"]["data"]:
            assert record["kinesis"]["data"] not in logs
    assert "ok-1" not in logs
    assert '"mixed"' not in logs


def test_metrics_count_what_happened(
    process_records: Invoke, aws: RecordStreamAws, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event("kinesis-malformed.json")
    process_records(event)
    metrics = _emitted_metrics(capsys.readouterr().out)
    valid = _labelled(event, "valid:")
    assert metrics == {
        "RecordsReceived": len(event["Records"]),
        "RecordsWritten": len(valid),  # records, so both copies of the duplicate key
        "DuplicateRecordsCollapsed": len(valid) - len(_valid_keys(event)),
        "RecordsRetried": 0,
        "RecordsRejected": len(_labelled(event, "reject:")),
        "RecordsFailed": 0,
    }
    assert metrics["DuplicateRecordsCollapsed"] == 1


def _emitted_metrics(stdout: str) -> dict[str, float]:
    """Metric values of the EMF blob Powertools prints when the handler returns."""
    for line in stdout.splitlines():
        if '"_aws"' in line:
            blob = json.loads(line)
            names = [m["Name"] for m in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
            # Powertools emits each value as a list of the values added in the invoke.
            return {name: sum(blob[name]) for name in names}
    raise AssertionError("no EMF metrics emitted")


@pytest.mark.parametrize(
    "data",
    [
        b'{"batch":"b","id":"i","n":' + b"1" * 4301 + b"}",  # ValueError in int()
        b'{"batch":"b","id":"i","n":' + b"[" * 50_000 + b"]" * 50_000 + b"}",  # RecursionError
        b'{"batch":"b","id":"i","n":NaN}',  # parsed by Python, but not JSON
    ],
    ids=["4301-digit-integer", "nested-50000-deep", "NaN"],
)
def test_a_record_the_parser_refuses_is_rejected_and_its_neighbours_written(
    data: bytes, process_records: Invoke, aws: RecordStreamAws
) -> None:
    # Issue #12: this record made the handler raise, so Lambda bisected and retried the whole
    # batch and it ended in OnFailure without a reason.
    records = [
        kinesis_record(0, b'{"batch":"b","id":"before"}', "pk"),
        kinesis_record(1, data, "pk"),
        kinesis_record(2, b'{"batch":"b","id":"after"}', "pk"),
    ]
    assert process_records({"Records": records}) == NO_FAILURES
    assert set(aws.items()) == {("b", "before"), ("b", "after")}
    (message,) = aws.rejected_messages()
    assert message["reason"] == "invalid_json"
    assert message["sequence_number"] == _sequence(records[1])
    assert base64.b64decode(message["data_base64"]) == data

"""FilterCriteria matching on the views Lambda filters: Kinesis data and SQS body as JSON."""

from __future__ import annotations

import base64
import json

from localcloud.esm.filters import RecordFilter, decode_kinesis_data, parse_json_object
from localcloud.esm.sqs.records import sqs_filter_view


def test_patterns_are_ored_and_no_pattern_matches_all() -> None:
    either = RecordFilter(['{"eventName": ["INSERT"]}', '{"eventName": ["REMOVE"]}'])
    assert either.matches({"eventName": "REMOVE"})
    assert not either.matches({"eventName": "MODIFY"})
    assert RecordFilter([]).matches({"anything": 1})


def test_kinesis_data_is_matched_as_decoded_json() -> None:
    data = base64.b64encode(json.dumps({"kind": "order", "total": 12}).encode()).decode()
    view = {"partitionKey": "p", "data": decode_kinesis_data(data)}
    assert RecordFilter(['{"data": {"kind": ["order"]}}']).matches(view)
    assert RecordFilter(['{"data": {"total": [{"numeric": [">", 10]}]}}']).matches(view)
    assert not RecordFilter(['{"data": {"kind": ["refund"]}}']).matches(view)


def test_non_json_data_never_matches_a_nested_pattern() -> None:
    raw = base64.b64encode(b"plain text").decode()
    assert decode_kinesis_data(raw) == "plain text"
    assert not RecordFilter(['{"data": {"kind": ["order"]}}']).matches({"data": "plain text"})


def test_sqs_body_is_matched_as_json_or_as_a_string() -> None:
    json_view = sqs_filter_view({"body": '{"kind": "order"}', "messageId": "1"})
    text_view = sqs_filter_view({"body": "hello", "messageId": "2"})
    assert RecordFilter(['{"body": {"kind": ["order"]}}']).matches(json_view)
    assert RecordFilter(['{"body": ["hello"]}']).matches(text_view)
    assert not RecordFilter(['{"body": {"kind": ["order"]}}']).matches(text_view)
    assert parse_json_object("[1, 2]") == "[1, 2]"

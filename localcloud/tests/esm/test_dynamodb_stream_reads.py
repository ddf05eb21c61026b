"""DynamoDB stream records read from moto in this process are the records its HTTP API gives.

The poller reads the local cloud's own streams from moto's backend (no serialiser, no parser:
``localcloud.moto_internals.dynamodb_streams``); a stream this process's moto does not hold is
read over HTTP. Both must hand Lambda the same events.
"""

from __future__ import annotations

import pytest
from tests.esm.esm_support import Cloud

from localcloud.esm.clients import AwsClients
from localcloud.esm.streams.dynamodb import DynamoDbStreamSource
from localcloud.esm.streams.source import IteratorExpiredError, StreamRecord
from localcloud.moto_internals import dynamodb_streams

REGION = "us-east-1"

# Every attribute type, values JSON escapes, and binary (base64 on the wire, bytes in boto3).
ITEM = {
    "pk": {"S": 'a "quoted" é 🧪'},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\xffbinary"},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "s"}, {"N": "1"}, {"B": b"\x03"}]},
    "m": {"M": {"inner": {"M": {"deep": {"BOOL": True}}}, "nothing": {"NULL": True}}},
}


def _events(source: DynamoDbStreamSource, over_http: bool) -> list[StreamRecord]:
    source._here = not over_http
    (shard,) = source.list_shards()
    iterator = source.shard_iterator(shard.shard_id, "TRIM_HORIZON")
    sent: list[object] = []

    def count(request: object, **_: object) -> None:
        sent.append(request)

    events = source._client.meta.events
    events.register("before-send.dynamodb-streams.GetRecords", count)
    try:
        records = source.read(shard.shard_id, iterator, 1000).records
    finally:
        events.unregister("before-send.dynamodb-streams.GetRecords", count)
    assert len(sent) == (1 if over_http else 0)
    return records


def test_records_read_here_are_the_records_read_over_http(cloud: Cloud, moto_endpoint: str) -> None:
    table, stream_arn = cloud.table()
    cloud.dynamodb.put_item(TableName=table, Item=ITEM)
    cloud.dynamodb.put_item(TableName=table, Item={**ITEM, "n": {"N": "7"}})  # MODIFY
    cloud.dynamodb.delete_item(TableName=table, Key={"pk": ITEM["pk"]})  # REMOVE
    source = DynamoDbStreamSource(AwsClients(moto_endpoint, REGION), stream_arn, REGION)
    assert dynamodb_streams.stream_is_here(stream_arn)

    here, over_http = _events(source, over_http=False), _events(source, over_http=True)

    assert [r.event["eventName"] for r in here] == ["INSERT", "MODIFY", "REMOVE"]
    assert len(here) == len(over_http)
    for direct, http in zip(here, over_http, strict=True):
        # Creation times: moto keeps microseconds, its HTTP answer milliseconds; Lambda's
        # event has whole seconds, which a record written at .9995 s could round apart.
        direct_time = direct.event["dynamodb"].pop("ApproximateCreationDateTime")
        http_time = http.event["dynamodb"].pop("ApproximateCreationDateTime")
        assert abs(direct_time - http_time) <= 1
        assert abs(direct.arrival - http.arrival) < 0.002
        assert direct.event == http.event
        assert direct.sequence_number == http.sequence_number
    # The binary values are base64 text, as in Lambda's event.
    assert here[0].event["dynamodb"]["NewImage"]["b"] == {"B": "AP9iaW5hcnk="}


def test_an_unknown_iterator_restarts_from_the_checkpoint(cloud: Cloud, moto_endpoint: str) -> None:
    _, stream_arn = cloud.table()
    source = DynamoDbStreamSource(AwsClients(moto_endpoint, REGION), stream_arn, REGION)
    with pytest.raises(IteratorExpiredError):
        source.read("shardId-unknown", f"{stream_arn}|1|not-an-iterator", 100)


def test_a_stream_this_process_does_not_hold_is_read_over_http() -> None:
    foreign = "arn:aws:dynamodb:us-east-1:123456789012:table/elsewhere/stream/2026-01-01T00:00:00"
    assert not dynamodb_streams.stream_is_here(foreign)
    assert not dynamodb_streams.stream_is_here("not an arn")

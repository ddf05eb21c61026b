"""Kinesis shards read their sequence ends in O(1) (``moto_internals.kinesis_shards``) and give
the numbers moto's own methods give, through the local cloud's API as through the model."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
from moto.kinesis.models import Shard, kinesis_backends

from localcloud.moto_internals import kinesis_shards
from localcloud.server import LocalCloudServer

ACCOUNT, REGION = "123456789012", "us-east-1"


def test_the_local_cloud_reads_sequence_ends_without_copying_the_records(
    local_server: LocalCloudServer,
) -> None:
    assert Shard.get_max_sequence_number is kinesis_shards._max_sequence_number
    assert Shard.get_min_sequence_number is kinesis_shards._min_sequence_number


def test_sequence_numbers_are_moto_s(local_server: LocalCloudServer) -> None:
    kinesis: Any = boto3.client("kinesis", endpoint_url=local_server.url, region_name=REGION)
    name = f"seq-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    shards = kinesis_backends[ACCOUNT][REGION].streams[name].shards.values()
    assert [(s.get_min_sequence_number(), s.get_max_sequence_number()) for s in shards] == [
        (0, 0),
        (0, 0),
    ]

    answers = []
    for start in range(0, 300, 100):
        records = [{"Data": b"%d" % i, "PartitionKey": f"k{i}"} for i in range(start, start + 100)]
        answers += kinesis.put_records(StreamName=name, Records=records)["Records"]

    for shard in shards:
        assert shard.get_min_sequence_number() == kinesis_shards.moto_min_sequence_number(shard)
        assert shard.get_max_sequence_number() == kinesis_shards.moto_max_sequence_number(shard)
        numbers = sorted(
            int(a["SequenceNumber"]) for a in answers if a["ShardId"] == shard.shard_id
        )
        # Each put took the shard's last number plus one, as moto's own method gave it.
        assert numbers == list(range(1, len(numbers) + 1)) == list(shard.records)
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard.shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        read = kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        assert [int(r["SequenceNumber"]) for r in read] == numbers
    kinesis.delete_stream(StreamName=name)

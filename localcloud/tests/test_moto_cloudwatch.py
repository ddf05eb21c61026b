"""GetMetricData through the local cloud's server: one namespace's metric, not its namesakes'."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3

from localcloud.server import LocalCloudServer


def test_get_metric_data_keeps_to_the_query_namespace(local_server: LocalCloudServer) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=local_server.url)
    now = datetime.now(UTC)
    dimensions = [{"Name": "service", "Value": f"svc-{uuid.uuid4().hex[:8]}"}]
    first, second = (f"Namespace{uuid.uuid4().hex[:8]}" for _ in range(2))
    for namespace, value in ((first, 3.0), (second, 40.0)):
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[{"MetricName": "RecordsWritten", "Dimensions": dimensions, "Value": value}],
        )
    metric = {"MetricName": "RecordsWritten", "Dimensions": dimensions}

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": f"q{i}",
                "MetricStat": {
                    "Metric": {**metric, "Namespace": namespace},
                    "Period": 3600,
                    "Stat": "Sum",
                },
            }
            for i, namespace in enumerate((first, second))
        ],
        StartTime=now - timedelta(minutes=30),
        EndTime=now + timedelta(minutes=30),
    )

    sums = {r["Id"]: sum(r["Values"]) for r in answer["MetricDataResults"]}
    assert sums == {"q0": 3.0, "q1": 40.0}

"""EMF lines into PutMetricData items: what Powertools prints, and what breaks the specification."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from localcloud.functions import emf

STAMP = 1_790_000_000_000


def _line(**overrides: Any) -> str:
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": STAMP,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Shop",
                    "Dimensions": [["service"], ["service", "stage"]],
                    "Metrics": [{"Name": "Orders", "Unit": "Count"}, {"Name": "Latency"}],
                }
            ],
        },
        "service": "orders",
        "stage": "dev",
        "Orders": [1, 2],
        "Latency": 12.5,
    }
    document.update(overrides)
    return json.dumps(document)


def test_every_metric_under_every_dimension_set() -> None:
    [batch] = emf.extract(_line())

    assert batch.namespace == "Shop"
    when = datetime.fromtimestamp(STAMP / 1000, UTC)
    by_key = {(i["MetricName"], len(i["Dimensions"])): i for i in batch.items}
    assert set(by_key) == {("Orders", 1), ("Orders", 2), ("Latency", 1), ("Latency", 2)}
    assert by_key["Orders", 2] == {
        "MetricName": "Orders",
        "Timestamp": when,
        "Unit": "Count",
        "Values": [1.0, 2.0],
        "Dimensions": [{"Name": "service", "Value": "orders"}, {"Name": "stage", "Value": "dev"}],
    }
    assert by_key["Latency", 1]["Unit"] == "None"


def test_what_powertools_metrics_prints_is_extracted(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = Metrics(namespace="Probe", service="unit")
    metrics.add_metric(name="RecordsWritten", unit=MetricUnit.Count, value=3)
    metrics.add_dimension(name="stream", value="orders")
    metrics.flush_metrics()
    [line] = capsys.readouterr().out.splitlines()

    [batch] = emf.extract(line)

    [item] = batch.items
    assert (batch.namespace, item["MetricName"], item["Values"], item["Unit"]) == (
        "Probe",
        "RecordsWritten",
        [3.0],
        "Count",
    )
    assert {d["Name"]: d["Value"] for d in item["Dimensions"]} == {
        "service": "unit",
        "stream": "orders",
    }


@pytest.mark.parametrize(
    "line",
    [
        "plain text",
        '{"message": "no _aws"}',
        '{"_aws": {"Timestamp": 1}}',
        "{not json _aws CloudWatchMetrics",
    ],
)
def test_a_line_that_is_not_emf_has_no_metrics(line: str) -> None:
    assert emf.extract(line) == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"Orders": "two"}, "needs a number"),
        ({"Orders": []}, "needs a number"),
        ({"Orders": [1] * 101}, "needs a number"),
        ({"service": 7}, "no string value"),
        ({"_aws": {"Timestamp": "now", "CloudWatchMetrics": []}}, "epoch milliseconds"),
        ({"_aws": {"Timestamp": STAMP, "CloudWatchMetrics": {}}}, "not a list"),
        (
            {"_aws": {"Timestamp": STAMP, "CloudWatchMetrics": [{"Metrics": []}]}},
            "Namespace",
        ),
        (
            {
                "_aws": {
                    "Timestamp": STAMP,
                    "CloudWatchMetrics": [
                        {"Namespace": "N", "Metrics": [{"Name": "Latency", "Unit": "Furlongs"}]}
                    ],
                }
            },
            "unknown Unit",
        ),
    ],
)
def test_a_broken_emf_line_says_why(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(emf.InvalidEmf, match=reason):
        emf.extract(_line(**overrides))

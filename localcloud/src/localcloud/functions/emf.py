"""CloudWatch Embedded Metric Format: the metrics in a log line, as ``PutMetricData`` items.

A line is EMF when it is a JSON object whose ``_aws`` member holds ``CloudWatchMetrics``
(Powertools Metrics prints one per ``log_metrics`` flush). CloudWatch extracts, for every
directive, every metric under every dimension set: the metric's value (a number or a list of
up to 100) and the dimension values are root members, ``_aws.Timestamp`` is epoch milliseconds.
A line that breaks the specification yields no metric at all (``InvalidEmf`` says why) and stays
a plain log line, as in CloudWatch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# CloudWatch's StandardUnit values, the ones EMF accepts.
_SIZES = ("Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes")
_BITS = ("Bits", "Kilobits", "Megabits", "Gigabits", "Terabits")
UNITS = frozenset(
    (
        *("Seconds", "Microseconds", "Milliseconds", "Percent", "Count", "Count/Second", "None"),
        *_SIZES,
        *_BITS,
        *(f"{unit}/Second" for unit in _SIZES + _BITS),
    )
)
MAX_DIMENSIONS = 30
MAX_METRICS = 100
MAX_VALUES = 100


class InvalidEmf(ValueError):
    """A line that claims EMF (``_aws.CloudWatchMetrics``) but breaks its specification."""


@dataclass(frozen=True)
class MetricBatch:
    """The ``PutMetricData`` items of one namespace."""

    namespace: str
    items: list[dict[str, Any]]


def looks_like_emf(line: str) -> bool:
    """Cheap pre-check, so only candidate lines are parsed."""
    return line.startswith("{") and '"_aws"' in line and "CloudWatchMetrics" in line


def extract(line: str) -> list[MetricBatch]:
    """The metrics of an EMF line: [] when it is not EMF, ``InvalidEmf`` when it is broken."""
    if not looks_like_emf(line):
        return []
    try:
        document = json.loads(line)
    except ValueError:
        return []  # not JSON: an ordinary line that happens to mention _aws
    if not isinstance(document, dict) or not isinstance(document.get("_aws"), dict):
        return []
    metadata = document["_aws"]
    if "CloudWatchMetrics" not in metadata:
        return []
    timestamp = _timestamp(metadata.get("Timestamp"))
    directives = metadata["CloudWatchMetrics"]
    if not isinstance(directives, list):
        raise InvalidEmf("_aws.CloudWatchMetrics is not a list")
    return [_directive(directive, document, timestamp) for directive in directives]


def _timestamp(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidEmf("_aws.Timestamp must be epoch milliseconds")
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidEmf(f"_aws.Timestamp out of range: {value}") from error


def _directive(directive: Any, document: dict[str, Any], timestamp: datetime) -> MetricBatch:
    if not isinstance(directive, dict):
        raise InvalidEmf("a CloudWatchMetrics directive is not an object")
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= 1024:
        raise InvalidEmf("Namespace must be a string of 1 to 1024 characters")
    dimension_sets = directive.get("Dimensions", [[]])
    if not isinstance(dimension_sets, list) or not dimension_sets:
        dimension_sets = [[]]
    metrics = directive.get("Metrics")
    if not isinstance(metrics, list) or len(metrics) > MAX_METRICS:
        raise InvalidEmf(f"Metrics must be a list of at most {MAX_METRICS}")
    dimensions = [_dimensions(names, document) for names in dimension_sets]
    items: list[dict[str, Any]] = []
    for definition in metrics:
        template = _metric(definition, document, timestamp)
        items.extend({**template, "Dimensions": dims} for dims in dimensions)
    return MetricBatch(namespace, items)


def _dimensions(names: Any, document: dict[str, Any]) -> list[dict[str, str]]:
    if not isinstance(names, list) or len(names) > MAX_DIMENSIONS:
        raise InvalidEmf(f"a dimension set must be a list of at most {MAX_DIMENSIONS} names")
    pairs = []
    for name in names:
        value = document.get(name) if isinstance(name, str) else None
        if not isinstance(value, str) or not value:
            raise InvalidEmf(f"dimension {name!r} has no string value in the document")
        pairs.append({"Name": name, "Value": value})
    return pairs


def _metric(definition: Any, document: dict[str, Any], timestamp: datetime) -> dict[str, Any]:
    if not isinstance(definition, dict) or not isinstance(definition.get("Name"), str):
        raise InvalidEmf("a metric definition needs a Name")
    name: str = definition["Name"]
    values = document.get(name)
    values = values if isinstance(values, list) else [values]
    if not values or len(values) > MAX_VALUES or not all(_is_number(v) for v in values):
        raise InvalidEmf(f"metric {name!r} needs a number or a list of 1 to {MAX_VALUES} numbers")
    unit = definition.get("Unit", "None")
    if unit not in UNITS:
        raise InvalidEmf(f"metric {name!r} has an unknown Unit {unit!r}")
    item: dict[str, Any] = {
        "MetricName": name,
        "Timestamp": timestamp,
        "Unit": unit,
        "Values": [float(v) for v in values],
    }
    resolution = definition.get("StorageResolution")
    if resolution is not None:
        if resolution not in (1, 60):
            raise InvalidEmf(f"metric {name!r}: StorageResolution must be 1 or 60")
        item["StorageResolution"] = resolution
    return item


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

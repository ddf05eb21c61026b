"""GetMetricData answered per namespace: moto 5.2.5 forgets a query's Namespace once it names
Dimensions, so the same metric name and dimensions in another namespace were summed in.

Two functions with Powertools' default ``service`` dimension and a shared metric name in
different namespaces is ordinary; ``tests/test_moto_cloudwatch.py`` shows the mix-up. Each
``MetricStat`` query is answered by moto's own code over that namespace's data only. A request
with metric math (``Expression``) is left to moto as it is: its queries refer to one another.
Safe without a lock of its own because moto's requests of one service run one at a time
(``serial.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend

_original_get_metric_data = CloudWatchBackend.get_metric_data


def _get_metric_data_per_namespace(
    self: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    if not queries or any("MetricStat" not in query for query in queries):
        return _original_get_metric_data(self, queries, start_time, end_time, scan_by)
    everything = self.get_all_metrics()
    results: list[dict[str, Any]] = []
    try:
        for query in queries:
            namespace = query["MetricStat"]["Metric"].get("Namespace")
            in_namespace = [datum for datum in everything if datum.namespace == namespace]
            # An instance attribute over the method: what moto's code reads for this query.
            self.get_all_metrics = lambda data=in_namespace: data  # type: ignore[method-assign,misc]
            results += _original_get_metric_data(self, [query], start_time, end_time, scan_by)
    finally:
        vars(self).pop("get_all_metrics", None)
    return results


def install_metric_data_namespace_filter() -> None:
    """Idempotent: patch moto's GetMetricData once per process."""
    CloudWatchBackend.get_metric_data = _get_metric_data_per_namespace  # type: ignore[method-assign]

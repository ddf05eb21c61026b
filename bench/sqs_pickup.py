"""An SQS message's pick-up by an idle mapping: long poll against wake-up, side by side.

What differs between the two ways an idle SQS mapping notices a message is only the step from
`SendMessage` to the poller holding it: inside a moto long poll (the default: each mapping's
first poller), moto answers the waiting receive the moment the message lands; with the long poll
off, the moto server rings the sleeping poller after the send and the poller makes a receive.
bench/latency.py measures whole paths in one cloud per setting, one after the other, so on a
loaded machine the load moves between settings; here both mappings run on one moto server at
once and each round sends to one then the other, in alternating order, so both see the same
load. Pick-up is the client's send to the function's invoke (an in-process recording function:
no worker process, no handler), p50 and p95 of each, and the ratio of the p50s.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace
from typing import Any

from bench.stats import markdown_table, percentile
from localcloud.esm.clients import AwsClients
from localcloud.esm.settings import PollerSettings
from localcloud.esm.supervisor import EventSourceMappingSupervisor
from localcloud.server import LocalCloudServer
from localcloud.specs import EventSourceMappingSpec, InvokeResult

REGION = "us-east-1"
ROUNDS = 60
QUICK = 3
SETTINGS = {
    "long poll (default)": PollerSettings(),
    "wake-up, then receive": replace(PollerSettings(), sqs_wait_time_s=0),
}
PAUSE_S = 0.15  # after each pick-up: the poller is idle again before the next send


class _Stamps:
    """The invoke time of each message body, as the function saw it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived: dict[str, float] = {}
        self._events = threading.Condition(self._lock)

    def invoke(self, function_name: str, event: Any) -> InvokeResult:
        now = time.perf_counter()
        with self._events:
            for record in event["Records"]:
                self._arrived[record["body"]] = now
            self._events.notify_all()
        return InvokeResult(payload=None)

    def wait_for(self, body: str, timeout_s: float = 30.0) -> float:
        with self._events:
            if not self._events.wait_for(lambda: body in self._arrived, timeout_s):
                raise TimeoutError(f"{body} never arrived")
            return self._arrived[body]


def _mapping(name: str, arn: str) -> EventSourceMappingSpec:
    return EventSourceMappingSpec(
        logical_id=name.replace(" ", ""),
        function_name="pickup",
        event_source_arn=arn,
        source="sqs",
        batch_size=10,
        starting_position=None,
    )


def run(quick: bool = False) -> dict[str, Any]:
    rounds = ROUNDS // QUICK if quick else ROUNDS
    server = LocalCloudServer(port=0)
    server.start()
    supervisors = []
    try:
        sqs = AwsClients(server.url, REGION).client("sqs")
        stamps = _Stamps()
        queues = {}
        for name, settings in SETTINGS.items():
            url = sqs.create_queue(QueueName=f"pickup-{uuid.uuid4().hex[:8]}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            spec = _mapping(name, arn["Attributes"]["QueueArn"])
            supervisor = EventSourceMappingSupervisor(
                [spec], stamps, server.url, REGION, settings, wakeups=server.wakeups
            )
            supervisor.start()
            supervisors.append(supervisor)
            queues[name] = url
        samples: dict[str, list[float]] = {name: [] for name in SETTINGS}
        names = list(SETTINGS)
        for index in range(rounds + 3):  # the first 3 rounds warm up the clients
            for name in names if index % 2 else reversed(names):
                body = f"{name}-{index}"
                sent = time.perf_counter()
                sqs.send_message(QueueUrl=queues[name], MessageBody=body)
                arrived = stamps.wait_for(body)
                if index >= 3:
                    samples[name].append((arrived - sent) * 1000)
                time.sleep(PAUSE_S)
    finally:
        for supervisor in supervisors:
            supervisor.stop()
        server.stop()
    p50 = {name: percentile(values, 50) for name, values in samples.items()}
    baseline = names[1]
    rows = [
        [name, f"{p50[name]:.1f} ms", f"{percentile(values, 95):.1f} ms",
         f"{p50[baseline] / p50[name]:.2f}x"]
        for name, values in samples.items()
    ]  # fmt: skip
    return {
        "rounds": rounds,
        "p50_ms": p50,
        "table": markdown_table(["idle SQS mapping", "p50 pick-up", "p95", "speed-up"], rows),
    }


def ratios(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    long_poll, wake_up = (result["p50_ms"][name] for name in SETTINGS)
    return [(
        "SQS pick-up p50, wake-up then receive / long poll",
        f"{wake_up / long_poll:.2f}x ({wake_up:.1f} / {long_poll:.1f} ms)",
        ">= 1x",
        wake_up >= long_poll,
    )]  # fmt: skip


if __name__ == "__main__":
    print(run()["table"])

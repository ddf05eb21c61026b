"""Timing knobs of the pollers: AWS's own values are slow for a laptop and slower for tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollerSettings:
    """How often and how patiently the pollers talk to moto.

    AWS polls each Kinesis shard once per second and DynamoDB Streams four times per second.
    Locally an idle shard or queue is not polled: with ``wake_on_writes`` its poller sleeps
    until the moto server sees a write to it (``localcloud.esm.wakeups``), and asks again after
    ``idle_poll_interval_s`` only as a safety net for what no request announces (an SQS
    visibility timeout running out, a move into a dead-letter queue). Without wake-ups that
    interval is the polling interval: 0.25 s kept latency low but cost 9-15% of a core idle
    (bench/README.md). Retry backoff is exponential from ``retry_backoff_initial_s`` up to
    ``retry_backoff_max_s`` (AWS backs off for seconds to minutes; locally that would only make
    retries look like hangs).
    """

    wake_on_writes: bool = True
    # The safety poll: this template's ten idle loops then ask moto about once a second in
    # all, under 1% of a core (bench/idle.py); a wake-up that never comes costs up to this.
    idle_poll_interval_s: float = 10.0
    retry_backoff_initial_s: float = 0.2
    retry_backoff_max_s: float = 1.0
    # Backoff after a poller-side error (moto unreachable, stream missing): never a busy loop.
    # It doubles with each failure in a row up to error_backoff_max_s (localcloud.esm.health).
    error_backoff_s: float = 1.0
    error_backoff_max_s: float = 30.0
    # How often a stream poller looks for new shards when no reshard wakes it.
    shard_discovery_interval_s: float = 30.0
    # SQS long-poll wait while a batch is still empty. With wake-ups only each mapping's first
    # poller long-polls (the others wait for its backlog bell): moto answers a waiting receive
    # the moment a message lands, one HTTP round trip sooner than a wake-up followed by a
    # receive (POST /inbox -> GET /outbox p50, bench/latency.py), for one idle receive a second
    # per mapping (bench/idle.py). 0: every poller waits for wake-ups. Without wake-ups every
    # poller long-polls. Also bounds how long stop() waits for a poller.
    sqs_wait_time_s: int = 1
    # SQS pollers per mapping when ScalingConfig.MaximumConcurrency is not set (AWS starts
    # with five pollers; two keeps a 2-core laptop responsive).
    sqs_default_concurrency: int = 2
    # Upper bound on SQS pollers per mapping whatever MaximumConcurrency says: each one is a
    # thread doing moto receives, whose cost grows with queue depth.
    sqs_max_concurrency: int = 5
    # How long stop() waits for each thread.
    join_timeout_s: float = 5.0

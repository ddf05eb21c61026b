"""The API front's limits: API Gateway's request quotas and the local server's own bounds.

API Gateway's REST API quotas: a 10 MB payload, 10,240 bytes for the request line and headers
together, a 29 s integration timeout. The rest bounds what one client can hold on this machine:
how many integrations run at once (more are answered 429 at once, as a throttled stage is), how
long a connection may sit idle or take to send its body.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FrontLimits:
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    max_request_head_bytes: int = 10_240  # request line + header lines, as sent
    # A rejected body is still read (and dropped) up to this size, so a client that sends it
    # whole before reading gets the 413 instead of a reset; past it the connection is closed.
    max_drained_bytes: int = 10 * MAX_PAYLOAD_BYTES
    integration_timeout_s: float = 29.0
    # Integrations in flight at once (worker threads); the next request gets 429.
    max_in_flight: int = 32
    # The whole body must arrive within this; a stalled upload gets 408 and is closed.
    body_timeout_s: float = 30.0
    # An idle keep-alive connection, or one that has not finished its request head, is closed.
    idle_timeout_s: float = 15.0
    listen_backlog: int = 1024

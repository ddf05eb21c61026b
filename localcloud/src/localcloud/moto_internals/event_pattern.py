"""moto's EventBridge pattern matcher, which the event source mappings' filters reuse."""

from __future__ import annotations

from moto.events.models import EventPattern

__all__ = ["EventPattern"]

"""moto's in-memory state as bytes and back: every backend in use, pickled as one graph.

moto keeps each service's data in a module-level ``BackendDict`` (account -> region -> backend);
``BackendDict._instances`` lists the ones that hold an account. moto has no persistence of its
own, and its public API cannot replay everything a snapshot must keep (SQS receive counts and
in-flight messages, Kinesis sequence numbers, generated ids such as a REST API's), so the
backends themselves are pickled: one ``pickle.dumps`` of all of them, so objects shared between
services (a Lambda function's logs backend) stay shared after a restore.

What does not pickle in moto 5.2.5, and how it is carried (``_MotoPickler.reducer_override``):
locks (``threading.Lock``/``RLock``: ``MotoIdManager``, ``LambdaFunction._lock``) and
conditions (``sqs.models.Queue._messages_lock``) are recreated unlocked, which is what they are
while the caller holds every service's lock (``serial.all_services_paused``);
``weakref.WeakValueDictionary`` (the Lambda backend's ARN index) is rebuilt from its items, whose
strong references are elsewhere in the same graph; a ``defaultdict`` whose factory is a lambda
(``lambda: {}``, the Lambda aliases) gets the type that lambda makes. Nothing in a snapshot
holds a thread or a generator; a type that still fails names itself in the pickling error.

``restore`` puts the loaded backends into the live ``BackendDict`` objects (the ones moto's
responses read), never replacing those objects, and only once the whole snapshot has loaded.
"""

from __future__ import annotations

import importlib
import io
import pickle
import sys
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from moto.core.base_backend import BackendDict

# (module, attribute) of a BackendDict -> account -> region -> backend
Snapshot = dict[tuple[str, str], dict[str, dict[str, Any]]]

_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def moto_version() -> str:
    return version("moto")


class _MotoPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK_TYPES):
            return (type(obj), ())
        if isinstance(obj, threading.Condition):
            return (threading.Condition, ())
        if isinstance(obj, weakref.WeakValueDictionary):
            return (weakref.WeakValueDictionary, (dict(obj.items()),))
        if isinstance(obj, defaultdict) and obj.default_factory and _is_local(obj.default_factory):
            return (defaultdict, (_empty_type(obj.default_factory),), None, None, iter(obj.items()))
        return NotImplemented


def _is_local(factory: Any) -> bool:
    return "<" in getattr(factory, "__qualname__", "")  # a lambda or a nested function


def _empty_type(factory: Callable[[], Any]) -> type:
    """The type a ``lambda: {}``-style factory stands for (pickle cannot name a lambda)."""
    sample = factory()
    kind = type(sample)
    if kind in (dict, list, set, int, str) and sample == kind():
        return kind
    raise pickle.PicklingError(f"defaultdict factory {factory!r} makes {sample!r}")


def _address(backends: BackendDict[Any]) -> tuple[str, str]:
    """Where moto keeps this BackendDict: the module global its responses read."""
    home = sys.modules.get(backends.backend.__module__)
    candidates = [home] if home is not None else []
    candidates += [m for n, m in list(sys.modules.items()) if n.startswith("moto.") and m]
    for module in candidates:
        for name, value in vars(module).items():
            if value is backends:
                return module.__name__, name
    raise LookupError(f"moto's {backends.service_name} backends are no module's global")


def snapshot() -> bytes:
    """Every backend in use, pickled. The caller must keep moto from changing meanwhile."""
    state: Snapshot = {
        _address(backends): {account: dict(regions) for account, regions in backends.items()}
        for backends in list(BackendDict._instances)  # type: ignore[misc]
    }
    buffer = io.BytesIO()
    _MotoPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    return buffer.getvalue()


def load(data: bytes) -> Snapshot:
    """The snapshot's backends, loaded but not yet live (so a failure changes nothing)."""
    state = pickle.loads(data)  # noqa: S301 - the caller checked the file is the user's own
    if not isinstance(state, dict):
        raise TypeError(f"a moto snapshot is a dict, not {type(state).__name__}")
    return state


def install(state: Snapshot) -> None:
    """Make a loaded snapshot moto's state, replacing whatever the live backends hold."""
    targets = [
        (getattr(importlib.import_module(module), name), accounts)
        for (module, name), accounts in state.items()
    ]
    for backends, accounts in targets:
        if not isinstance(backends, BackendDict):
            raise TypeError(f"{backends!r} is not a moto BackendDict")
        backends.clear()
        for account, regions in accounts.items():
            account_backends = backends[account]  # creates it, and lists the dict as in use
            dict.clear(account_backends)
            for region, backend in regions.items():
                dict.__setitem__(account_backends, region, backend)

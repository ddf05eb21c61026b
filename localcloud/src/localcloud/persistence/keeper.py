"""Restores a saved cloud into a starting one, and saves the running one.

Loading happens before the moto server starts: the file is checked, unpickled and matched to the
deployment first, so a bad file stops ``up`` with nothing started. Saving takes the stream
pollers' checkpoints (and the event source mappings as the Lambda API left them: created,
updated, disabled, deleted) first and moto's state second, under every service's lock: a record
processed between the two is processed again after a restore (at-least-once, as Lambda), never
skipped. It saves every ``interval_s`` when anything may have changed (an idle cloud writes
nothing; the interval stretches to ten times the last save's pause of moto, so saving a large
state never holds moto up more than a tenth of the time) and once more on stop, after the
pollers and workers have stopped. A ``kill -9`` loses what changed since the last save.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localcloud.moto_internals import backend_state, serial
from localcloud.persistence import saved_state
from localcloud.persistence.fingerprint import changes, fingerprint
from localcloud.persistence.saved_state import SavedCloud, SavedStateError
from localcloud.specs import DeployedStack, SavedEventSourceMapping

if TYPE_CHECKING:
    from localcloud.cloud import CloudOptions

log = logging.getLogger(__name__)

DEFAULT_SAVE_INTERVAL_S = 5.0
PAUSE_SHARE = 10


@dataclass(frozen=True)
class RunningCloud:
    """What a save reads from the running cloud."""

    stack: DeployedStack
    checkpoints: Callable[[], dict[str, dict[str, str]]]
    mappings: Callable[[], tuple[SavedEventSourceMapping, ...]]
    fingerprint: dict[str, Any]


class StateKeeper:
    def __init__(self, options: CloudOptions) -> None:
        assert options.persist_dir is not None, "a keeper is for `up --persist`"
        self.path = options.persist_dir.resolve() / saved_state.STATE_FILE_NAME
        self._options = options
        self._interval_s = options.save_interval_s
        self._running: RunningCloud | None = None
        self._save_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_generation: tuple[int, str, str] | None = None
        self.last_save: dict[str, float] = {}

    @classmethod
    def of(cls, options: CloudOptions) -> StateKeeper | None:
        """The keeper of a ``--persist`` cloud; None for one in memory."""
        return cls(options) if options.persist_dir is not None else None

    def _fingerprint(self, port: int, api_port: int) -> dict[str, Any]:
        options = self._options
        return fingerprint(
            options.template,
            stack_name=options.stack_name,
            region=options.region,
            config_env=options.config_env,
            parameter_overrides=options.parameter_overrides,
            port=port,
            api_port=api_port,
        )

    def load(self) -> SavedCloud | None:
        """The saved cloud for this deployment, checked and with moto's state installed; None
        when there is none (or ``--reset`` dropped it). Call before the moto server starts."""
        if self._options.reset_saved_state:
            self.path.unlink(missing_ok=True)
            return None
        if not self.path.exists():
            return None
        header, payload = saved_state.read_header(self.path)
        requested = self._fingerprint(self._options.port, self._options.api_port)
        differences = changes(header.get("fingerprint") or {}, requested)
        if differences:
            raise SavedStateError(
                self.path,
                "it was saved from another deployment; it is not redeployed as an update, "
                "which could drop resources' data: " + "; ".join(differences),
            )
        saved = saved_state.load_payload(self.path, payload)
        try:
            backend_state.install(backend_state.load(saved.moto))
        except Exception as error:
            raise SavedStateError(self.path, f"moto's state does not load ({error!r})") from error
        return saved

    def start(
        self,
        stack: DeployedStack,
        checkpoints: Callable[[], dict[str, dict[str, str]]],
        mappings: Callable[[], tuple[SavedEventSourceMapping, ...]],
        *,
        port: int,
        api_front_url: str | None,
    ) -> None:
        """Saves now (a new deployment) and then periodically, until ``stop``."""
        api_port = int(api_front_url.rsplit(":", 1)[1]) if api_front_url else self._options.api_port
        self._running = RunningCloud(
            stack, checkpoints, mappings, self._fingerprint(port, api_port)
        )
        self.save()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._next_wait()):
            try:
                self.save()
            except Exception:
                log.exception("saving the local cloud's state to %s failed", self.path)

    def _next_wait(self) -> float:
        """The interval, stretched so that saving pauses moto at most 1/PAUSE_SHARE of the time
        (a 3.4 MB state pauses it for 0.6-2 s here)."""
        return max(self._interval_s, PAUSE_SHARE * self.last_save.get("paused_s", 0.0))

    def stop(self) -> None:
        """Stops the periodic saves (the final ``save`` comes after the pollers stop)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def save(self, *, force: bool = False) -> bool:
        """Saves if anything may have changed since the last save (or ``force``); True if it
        wrote."""
        running = self._running
        if running is None:
            return False  # the cloud never finished starting: keep the file as it was
        with self._save_lock:
            started = time.perf_counter()
            checkpoints = running.checkpoints()
            mappings = running.mappings()
            with serial.all_services_paused():
                generation = (
                    serial.changes(),
                    repr(sorted(checkpoints.items())),
                    repr(sorted(mappings, key=lambda m: m.uuid)),
                )
                if generation == self._saved_generation and not force:
                    return False
                moto = backend_state.snapshot()
            paused = time.perf_counter() - started
            size = saved_state.write(
                self.path,
                SavedCloud(running.stack, moto, checkpoints, mappings),
                running.fingerprint,
            )
            self._saved_generation = generation
            self.last_save = {
                "paused_s": paused,
                "total_s": time.perf_counter() - started,
                "bytes": float(size),
            }
            log.info(
                "saved the local cloud to %s: %d bytes, moto paused %.3f s, %.3f s in all",
                self.path,
                size,
                paused,
                self.last_save["total_s"],
            )
            return True

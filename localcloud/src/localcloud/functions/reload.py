"""Hot reload: watch each function's CodeUri and its layers' ContentUri folders, and recycle the
functions whose files changed, so the next invoke runs the code as it is on disk.

Workers import straight from those folders (not from a copy), so a fresh worker is all a reload
needs, tracebacks and a debugger's breakpoints name the files the user edits, and nothing is
copied per save. The price: a file can change under a running worker (a lazy import inside the
handler reads the new text); that worker is retired when its invoke ends, so at most the invoke
in flight mixes versions.

On every change the affected pools are recycled at once (``WorkerPool.recycle``: idle workers
stopped, busy ones retired after their invoke), so no invoke that starts after the change is
detected gets a worker that imported the old code. Once the folder has been quiet for
``QUIET_S`` (a burst of saves, a ``git checkout``), one report is logged, a changed
``requirements.txt`` is reinstalled (``deploy/dependencies.py``; until it is, invokes keep the
previous dependencies, and a failed install keeps them with pip's reason logged), and one worker
per affected function is started, so the next invoke is warm and a broken import shows in the log
right away. Pollers and the API front are not touched: they hold their positions and call the
invoker as before.

watchdog picks the platform's notification API (inotify on Linux); where that fails (the inotify
watch limit, some network file systems) it falls back to polling every ``POLL_S``.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from localcloud.deploy.dependencies import REQUIREMENTS, DependencyInstallError
from localcloud.deploy.package import SKIPPED_DIRS
from localcloud.functions.invoker import LocalInvoker
from localcloud.functions.pool import PoolClosed

log = logging.getLogger(__name__)

QUIET_S = 0.3
POLL_S = 0.5
REPORTS_KEPT = 100
# Not code: Python's bytecode cache, the local cloud's own files, version control.
IGNORED_DIRS = SKIPPED_DIRS | {".localcloud", ".git"}
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", "~")
# Opening or closing a file (every import does) changes nothing.
CHANGES = {EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED}

Installer = Callable[[Path], "Path | None"]


@dataclass(frozen=True)
class Reload:
    """One settled burst of changes."""

    functions: tuple[str, ...]
    paths: tuple[str, ...]
    # From the first changed file's modification time to the moment its functions were recycled
    # (the next invoke gets new code from then on).
    detected_after_s: float | None


@dataclass
class _Pending:
    functions: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    detected_after_s: float | None = None


def is_code_change(event: FileSystemEvent) -> bool:
    if event.event_type not in CHANGES:
        return False
    if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
        return False  # a file inside was created or deleted: that file's own event says so
    paths = [event.src_path, getattr(event, "dest_path", "") or ""]
    return any(path and not _ignored(str(path)) for path in paths)


def _ignored(path: str) -> bool:
    parts = Path(path).parts
    return bool(IGNORED_DIRS.intersection(parts)) or path.endswith(IGNORED_SUFFIXES)


def _seconds_since_written(path: str) -> float | None:
    try:
        return max(time.time() - os.stat(path).st_mtime, 0.0)
    except OSError:  # deleted, or moved on since
        return None


class _FolderHandler(FileSystemEventHandler):
    def __init__(self, folder: Path, on_change: Callable[[Path, FileSystemEvent], None]) -> None:
        self._folder = folder
        self._on_change = on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        if is_code_change(event):
            self._on_change(self._folder, event)


class CodeReloader:
    def __init__(
        self,
        invoker: LocalInvoker,
        install: Installer | None = None,
        prewarm: bool = True,
        quiet_s: float = QUIET_S,
    ) -> None:
        self._invoker = invoker
        self._install = install
        self._prewarm = prewarm
        self._quiet_s = quiet_s
        self._users: dict[Path, set[str]] = {}
        for spec in invoker.functions.values():
            for folder in (spec.code_dir, *spec.layer_dirs):
                self._users.setdefault(folder, set()).add(spec.function_name)
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._timer: threading.Timer | None = None
        self._stopped = False
        self._observer: BaseObserver | None = None
        # The latest reports, oldest first.
        self.reloads: collections.deque[Reload] = collections.deque(maxlen=REPORTS_KEPT)

    @property
    def event_driven(self) -> bool:
        """True when the OS reports each write (inotify and the like), False when polling."""
        return self._observer is not None and not isinstance(self._observer, PollingObserver)

    @property
    def folders(self) -> list[Path]:
        return sorted(self._users)

    def start(self) -> None:
        try:
            self._observer = self._watch(Observer())
        except OSError as error:
            log.warning("hot reload: %s; polling the code folders every %.1f s", error, POLL_S)
            self._observer = self._watch(PollingObserver(timeout=POLL_S))
        log.info("hot reload: watching %s", ", ".join(str(f) for f in self.folders))

    def _watch(self, observer: BaseObserver) -> BaseObserver:
        for folder in self.folders:
            observer.schedule(_FolderHandler(folder, self._changed), str(folder), recursive=True)
        try:
            observer.start()
        except BaseException:
            observer.stop()
            raise
        return observer

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)

    def _changed(self, folder: Path, event: FileSystemEvent) -> None:
        # A function a stack update removed since is no longer the folder's.
        functions = {name for name in self._users[folder] if name in self._invoker.functions}
        for name in functions:
            self._invoker.recycle(name)
        # Measured once the recycle is done: from here on, no invoke gets the old code.
        effective_after_s = None if event.is_directory else _seconds_since_written(event.src_path)
        with self._lock:
            if self._stopped:
                return
            pending = self._pending
            if pending.detected_after_s is None:
                pending.detected_after_s = effective_after_s
            pending.functions |= functions
            pending.paths.add(str(getattr(event, "dest_path", "") or event.src_path))
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._quiet_s, self._settle)
            self._timer.daemon = True
            self._timer.start()

    def _settle(self) -> None:
        with self._lock:
            pending, self._pending, self._timer = self._pending, _Pending(), None
            if self._stopped:
                return
        reload = Reload(
            tuple(sorted(pending.functions)), tuple(sorted(pending.paths)), pending.detected_after_s
        )
        self.reloads.append(reload)
        detected = reload.detected_after_s
        log.info(
            "hot reload: %s changed; recycled %s%s",
            _summary(reload.paths),
            ", ".join(reload.functions),
            f" ({detected * 1000:.0f} ms after the write)" if detected is not None else "",
        )
        self._reinstall(path for path in reload.paths if Path(path).name == REQUIREMENTS)
        if self._prewarm:
            for name in reload.functions:
                self._warm(name)

    def _reinstall(self, requirements: Iterable[str]) -> None:
        code_dirs = {Path(path).parent for path in requirements} & set(self._users)
        for code_dir in code_dirs:
            users = [spec for spec in self._invoker.functions.values() if spec.code_dir == code_dir]
            if not users:
                continue  # a layer's folder: layers have no requirements.txt of their own
            if self._install is None:
                log.warning(
                    "hot reload: %s changed: restart to install it", code_dir / REQUIREMENTS
                )
                continue
            try:
                installed = self._install(code_dir)
            except DependencyInstallError as error:
                log.error("hot reload: keeping the previous dependencies: %s", error)
                continue
            for spec in users:
                dependency_dirs = (installed,) if installed else ()
                replaced = dataclasses.replace(spec, dependency_dirs=dependency_dirs)
                self._invoker.recycle(spec.function_name, replaced)
            log.info("hot reload: installed %s", code_dir / REQUIREMENTS)

    def _warm(self, name: str) -> None:
        try:
            init_error = self._invoker.prewarm_function(name)
        except PoolClosed:
            return
        except Exception:  # the next invoke reports it as the function's error
            log.warning("hot reload: %s did not start", name, exc_info=True)
            return
        if init_error:
            log.warning("hot reload: %s fails to import its handler: %s", name, init_error)


def _summary(paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:3])
    return shown if len(paths) <= 3 else f"{shown} and {len(paths) - 3} more"

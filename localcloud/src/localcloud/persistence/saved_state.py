"""The saved cloud's file: a header line of JSON, checked before anything is unpickled, then
the pickled payload.

The header names the versions that wrote it (localcloud, moto, Python: moto's objects are
pickled, so another moto or Python may not read them back), the fingerprint of the deployment
and the payload's length and SHA-256 (a truncated or damaged file fails that check, before
``pickle`` runs). Unpickling runs code, so the file is read only if it and its folder belong to
the user and nobody else can write them; the docs say the folder must be trusted like a
database file. Writing is atomic: a temporary file in the same folder, fsynced, then renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from localcloud.specs import DeployedStack, SavedEventSourceMapping

STATE_FILE_NAME = "saved-cloud.pickle"
MAGIC = b"localcloud-saved-cloud"
FORMAT = 1
RESET_HINT = "`localcloud up --persist --reset` starts afresh (the saved data is dropped)"


class SavedStateError(RuntimeError):
    """The saved cloud cannot be restored; the message names the file and how to reset."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"cannot restore the saved local cloud {path}: {problem}. Nothing was started; "
            f"{RESET_HINT}, or delete {path.parent}."
        )
        self.path = path


@dataclass(frozen=True)
class SavedCloud:
    stack: DeployedStack  # as deployed, before --function-timeout overrides
    moto: bytes  # localcloud.moto_internals.backend_state.snapshot()
    checkpoints: dict[str, dict[str, str]]  # stream mapping -> shard -> sequence number
    # The event source mappings as the Lambda API left them; None: the stack's, as deployed.
    mappings: tuple[SavedEventSourceMapping, ...] | None = None


def versions() -> dict[str, str]:
    """What must match between the cloud that saved a file and the one that reads it."""
    from localcloud.moto_internals.backend_state import moto_version  # noqa: PLC0415

    try:
        own = version("localcloud")
    except PackageNotFoundError:  # run from a source folder, not installed
        own = "unknown"
    return {
        "format": str(FORMAT),
        "localcloud": own,
        "moto": moto_version(),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def write(path: Path, cloud: SavedCloud, fingerprint: dict[str, Any]) -> int:
    """Writes atomically; returns the file's size."""
    payload = pickle.dumps(cloud, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "versions": versions(),
        "fingerprint": fingerprint,
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _close_to_others(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(MAGIC + b" " + json.dumps(header).encode() + b"\n")
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)  # a reader sees the old file or the new one, never half
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return len(payload)


def read_header(path: Path) -> tuple[dict[str, Any], bytes]:
    """The header and the payload, after the ownership, format and checksum checks."""
    check_trusted(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SavedStateError(path, f"it cannot be read ({error.strerror})") from error
    first_line, _, payload = data.partition(b"\n")
    magic, _, header_text = first_line.partition(b" ")
    if magic != MAGIC:
        raise SavedStateError(path, "it is not a saved local cloud (no localcloud header)")
    try:
        header: dict[str, Any] = json.loads(header_text)
        expected_bytes, expected_hash = header["payload_bytes"], header["payload_sha256"]
    except (ValueError, KeyError, TypeError) as error:
        raise SavedStateError(path, f"its header is damaged ({error})") from error
    if len(payload) != expected_bytes:
        raise SavedStateError(
            path, f"it is truncated or damaged ({len(payload)} of {expected_bytes} bytes)"
        )
    if hashlib.sha256(payload).hexdigest() != expected_hash:
        raise SavedStateError(path, "it is damaged (its checksum does not match)")
    mismatched = [
        f"{name} {saved!r} (this is {current!r})"
        for name, current in versions().items()
        if (saved := (header.get("versions") or {}).get(name)) != current
    ]
    if mismatched:
        raise SavedStateError(path, "it was saved by another version: " + ", ".join(mismatched))
    return header, payload


def load_payload(path: Path, payload: bytes) -> SavedCloud:
    try:
        cloud = pickle.loads(payload)  # noqa: S301 - checked: the user's own file and folder
    except Exception as error:
        raise SavedStateError(path, f"its content does not load ({error!r})") from error
    if not isinstance(cloud, SavedCloud):
        raise SavedStateError(path, f"it holds a {type(cloud).__name__}, not a saved cloud")
    return cloud


def _close_to_others(folder: Path) -> None:
    """A folder of ours made group-writable by the umask (e.g. 002) would fail the next load."""
    info = folder.stat()
    if info.st_uid == os.getuid() and info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        folder.chmod(stat.S_IMODE(info.st_mode) & ~(stat.S_IWGRP | stat.S_IWOTH))


def check_trusted(path: Path) -> None:
    """Only the user's own file in the user's own folder, writable by nobody else."""
    for checked in (path.parent, path):
        try:
            info = checked.stat()
        except OSError as error:
            raise SavedStateError(path, f"{checked} cannot be read ({error.strerror})") from error
        if info.st_uid != os.getuid():
            raise SavedStateError(
                path, f"{checked} belongs to uid {info.st_uid}, not to you (uid {os.getuid()})"
            )
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise SavedStateError(
                path,
                f"{checked} is writable by others (mode {stat.filemode(info.st_mode)}); "
                f"`chmod go-w {checked}` if you trust its content",
            )

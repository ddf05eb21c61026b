"""Where each layer version the local cloud knows lives on disk, by its ARN.

A stack's own layers are known from its deploy (their ``ContentUri`` folder for ``localcloud up``,
the unpacked zip's ``python/`` folders for a template ``sam deploy`` uploaded); a version
published later (``PublishLayerVersion``, what ``sam sync --code`` does for a changed layer) from
its unpacked zip. ``UpdateFunctionConfiguration`` with ``Layers`` then gives the function's
workers those folders, in the order listed, as Lambda mounts them under ``/opt``. A layer not
known here (another account's, such as the official Powertools layer) adds nothing: the workers
have the venv's packages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path


class LayerContents:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: dict[str, tuple[Path, ...]] = {}

    def add(self, layer_version_arn: str, paths: Iterable[Path]) -> None:
        with self._lock:
            self._paths[layer_version_arn] = tuple(paths)

    def paths(self, layer_version_arns: Iterable[str]) -> tuple[Path, ...]:
        """The folders of the known layers among ``layer_version_arns``, in their order."""
        with self._lock:
            return tuple(path for arn in layer_version_arns for path in self._paths.get(arn, ()))

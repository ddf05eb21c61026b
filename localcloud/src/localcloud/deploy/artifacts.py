"""Function and layer code a template names in S3 (what ``sam deploy`` uploaded), unpacked for the
workers.

``sam deploy`` (like ``aws cloudformation package``) uploads each ``CodeUri`` and ``ContentUri``
as a zip, and the translated template names it as ``Code.S3Bucket``/``S3Key`` (``Content`` for a
layer). Lambda runs a function from its zip's root (``/var/task``) and puts a layer's
``python/`` folders on the path (``/opt/python``); the workers do the same from an unpacked copy
in the ``CodeCache``. Nothing is installed: like Lambda, a zip runs with what it holds
(``sam build`` puts the function's requirements in it).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from localcloud.deploy.package import PackagedCode
from localcloud.deploy.prepared import StackCode

log = logging.getLogger(__name__)

FUNCTION_TYPE = "AWS::Lambda::Function"
LAYER_VERSION_TYPE = "AWS::Lambda::LayerVersion"
# Lambda writes a Python function's inline ZipFile code to this file.
INLINE_CODE_FILE = "index.py"


class ArtifactError(ValueError):
    """Code the local cloud cannot fetch or run (a missing object, a container image, ...)."""


class CodeCache:
    """Unpacked zips, one folder per content (sha256), under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def unpack(self, archive: bytes) -> Path:
        target = self.root / hashlib.sha256(archive).hexdigest()[:24]
        if target.is_dir():
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        # Unpacked aside and renamed into place: a half-unpacked folder is never used.
        staging = self.root / f".{target.name}.{os.getpid()}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
                zipped.extractall(staging)  # names with .. or a leading / are made safe
        except zipfile.BadZipFile as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise ArtifactError(f"the code is not a zip file: {error}") from None
        try:
            staging.rename(target)
        except OSError:  # unpacked by another thread first
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def inline(self, source: str) -> Path:
        """A function's inline ``ZipFile`` code, as Lambda stores it."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            zipped.writestr(INLINE_CODE_FILE, source)
        return self.unpack(buffer.getvalue())

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def layer_paths(folder: Path) -> tuple[Path, ...]:
    """The folders of an unpacked layer Lambda's Python runtime puts on the path."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = (folder / "python", folder / "python" / "lib" / version / "site-packages")
    return tuple(path for path in candidates if path.is_dir())


def read_object(s3: Any, bucket: Any, key: Any, version: Any = None) -> bytes:
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise ArtifactError(f"code location s3://{bucket}/{key} is not a literal bucket and key")
    extra = {"VersionId": version} if isinstance(version, str) else {}
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())
    except ClientError as error:
        raise ArtifactError(f"cannot read s3://{bucket}/{key}: {error}") from None


def _function_code(logical_id: str, code: Any, s3: Any, cache: CodeCache) -> Path:
    if not isinstance(code, dict):
        raise ArtifactError(f"{logical_id}: Code {code!r} is not a zip in S3 or inline code")
    if "ImageUri" in code:
        raise ArtifactError(
            f"{logical_id}: container images do not run in the local cloud (zip functions only)"
        )
    if "ZipFile" in code:
        if not isinstance(code["ZipFile"], str):
            raise ArtifactError(f"{logical_id}: inline ZipFile code is not a literal")
        return cache.inline(code["ZipFile"])
    archive = read_object(s3, code.get("S3Bucket"), code.get("S3Key"), code.get("S3ObjectVersion"))
    return cache.unpack(archive)


def code_in_s3(translated: dict[str, Any], s3: Any, cache: CodeCache) -> StackCode:
    """Each function's code and each of the stack's own layers, unpacked."""
    resources: dict[str, Any] = translated.get("Resources") or {}
    layers: dict[str, tuple[Path, ...]] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") == LAYER_VERSION_TYPE:
            content = (resource.get("Properties") or {}).get("Content") or {}
            archive = read_object(
                s3, content.get("S3Bucket"), content.get("S3Key"), content.get("S3ObjectVersion")
            )
            layers[logical_id] = layer_paths(cache.unpack(archive))
            if not layers[logical_id]:
                log.warning(
                    "layer %s has no python/ folder: Lambda puts none of it on the path "
                    "(sam build puts a Python layer's packages there)",
                    logical_id,
                )
    packaged: dict[str, PackagedCode] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != FUNCTION_TYPE:
            continue
        props = resource.get("Properties") or {}
        code = props.get("Code")
        folder = _function_code(logical_id, code, s3, cache)
        assert isinstance(code, dict)  # _function_code refuses anything else
        refs = [
            layer["Ref"]
            for layer in props.get("Layers") or []
            if isinstance(layer, dict) and layer.get("Ref") in layers
        ]
        packaged[logical_id] = PackagedCode(
            code_dir=folder,
            bucket=str(code.get("S3Bucket", "")),
            key=str(code.get("S3Key", "")),
            layer_dirs=tuple(path for ref in refs for path in layers[ref]),
        )
    return StackCode(packaged, layers)

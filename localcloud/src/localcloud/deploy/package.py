"""Package each local ``CodeUri`` (functions) and ``ContentUri`` (the stack's own layers) folder
as a zip in moto S3, like ``sam package``.

samtranslator rejects local paths, and moto's Lambda wants real code; the workers still run the
code from the local folders (``FunctionSpec.code_dir`` and ``layer_dirs``), so edits need no
redeploy.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_LAYER = "AWS::Serverless::LayerVersion"
# Not code: caches and build output would only slow packaging down.
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".aws-sam"}


@dataclass(frozen=True)
class PackagedCode:
    code_dir: Path
    bucket: str
    key: str
    # The stack's own layers the function uses, in the template's order (Lambda's /opt/python).
    layer_dirs: tuple[Path, ...] = ()
    # Its requirements.txt, installed (deploy/dependencies.py).
    dependency_dirs: tuple[Path, ...] = ()

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(files):
                if name.endswith(".pyc"):
                    continue
                path = Path(root) / name
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _local_dirs(
    template: dict[str, Any], template_dir: Path, resource_type: str, uri_property: str
) -> dict[str, Path]:
    """Logical id -> local folder of every resource of that type (Globals apply to functions)."""
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    default_uri = globals_.get(uri_property, ".") if resource_type == SERVERLESS_FUNCTION else None
    dirs: dict[str, Path] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != resource_type:
            continue
        uri = (resource.get("Properties") or {}).get(uri_property, default_uri)
        if isinstance(uri, str) and not uri.startswith("s3://"):
            dirs[logical_id] = (template_dir / uri).resolve()
    return dirs


def function_code_dirs(template: dict[str, Any], template_dir: Path) -> dict[str, Path]:
    """Logical id -> CodeUri folder of every local-code SAM function (Globals apply)."""
    return _local_dirs(template, template_dir, SERVERLESS_FUNCTION, "CodeUri")


def layer_content_dirs(template: dict[str, Any], template_dir: Path) -> dict[str, Path]:
    """Logical id -> ContentUri folder of every local-content SAM layer."""
    return _local_dirs(template, template_dir, SERVERLESS_LAYER, "ContentUri")


def function_layer_ids(template: dict[str, Any], logical_id: str, layer_ids: set[str]) -> list[str]:
    """The stack's own layers (``!Ref``) a function uses: Globals' list, then its own (SAM
    appends list-valued Globals)."""
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    own = (template["Resources"][logical_id].get("Properties") or {}).get("Layers") or []
    entries = [*(globals_.get("Layers") or []), *own]
    return [e["Ref"] for e in entries if isinstance(e, dict) and e.get("Ref") in layer_ids]


def _upload(s3: Any, bucket: str, folder: Path) -> PackagedCode:
    body = zip_folder(folder)
    key = f"{folder.name}-{hashlib.sha256(body).hexdigest()[:16]}.zip"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return PackagedCode(code_dir=folder, bucket=bucket, key=key)


def package_functions(
    template: dict[str, Any], template_dir: Path, s3: Any, bucket: str
) -> dict[str, PackagedCode]:
    """Upload each distinct code or layer folder once and point the functions' CodeUri and the
    layers' ContentUri at it (in place). Returns each function's code and its own layers."""
    code_dirs = function_code_dirs(template, template_dir)
    layer_dirs = layer_content_dirs(template, template_dir)
    s3.create_bucket(Bucket=bucket)
    uploaded: dict[Path, PackagedCode] = {}
    for logical_id, folder in [*code_dirs.items(), *layer_dirs.items()]:
        if not folder.is_dir():
            raise FileNotFoundError(f"{logical_id}: code folder {folder} does not exist")
        if folder not in uploaded:
            uploaded[folder] = _upload(s3, bucket, folder)
    for logical_id, folder in layer_dirs.items():
        template["Resources"][logical_id]["Properties"]["ContentUri"] = uploaded[folder].s3_uri
    packaged: dict[str, PackagedCode] = {}
    for logical_id, folder in code_dirs.items():
        layers = function_layer_ids(template, logical_id, set(layer_dirs))
        packaged[logical_id] = replace(
            uploaded[folder], layer_dirs=tuple(layer_dirs[layer] for layer in layers)
        )
        template["Resources"][logical_id].setdefault("Properties", {})["CodeUri"] = uploaded[
            folder
        ].s3_uri
    return packaged

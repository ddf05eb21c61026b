"""Package each function's local ``CodeUri`` folder as a zip in moto S3, like ``sam package``.

samtranslator rejects local paths, and moto's Lambda wants real code; the workers still run the
code from the local folder (``FunctionSpec.code_dir``), so edits need no redeploy.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
# Not code: caches and build output would only slow packaging down.
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".aws-sam"}


@dataclass(frozen=True)
class PackagedCode:
    code_dir: Path
    bucket: str
    key: str

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


def function_code_dirs(template: dict[str, Any], template_dir: Path) -> dict[str, Path]:
    """Logical id -> CodeUri folder of every local-code SAM function (Globals apply)."""
    global_uri = ((template.get("Globals") or {}).get("Function") or {}).get("CodeUri", ".")
    dirs: dict[str, Path] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        code_uri = (resource.get("Properties") or {}).get("CodeUri", global_uri)
        if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            dirs[logical_id] = (template_dir / code_uri).resolve()
    return dirs


def package_functions(
    template: dict[str, Any], template_dir: Path, s3: Any, bucket: str
) -> dict[str, PackagedCode]:
    """Upload each distinct code folder once and point the functions' CodeUri at it (in place)."""
    code_dirs = function_code_dirs(template, template_dir)
    s3.create_bucket(Bucket=bucket)
    uploaded: dict[Path, PackagedCode] = {}
    packaged: dict[str, PackagedCode] = {}
    for logical_id, code_dir in code_dirs.items():
        if not code_dir.is_dir():
            raise FileNotFoundError(f"{logical_id}: CodeUri folder {code_dir} does not exist")
        if code_dir not in uploaded:
            body = zip_folder(code_dir)
            key = f"{code_dir.name}-{hashlib.sha256(body).hexdigest()[:16]}.zip"
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            uploaded[code_dir] = PackagedCode(code_dir=code_dir, bucket=bucket, key=key)
        packaged[logical_id] = uploaded[code_dir]
        template["Resources"][logical_id].setdefault("Properties", {})["CodeUri"] = uploaded[
            code_dir
        ].s3_uri
    return packaged

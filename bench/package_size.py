"""Part 4: deployment package size per function (and the stack's own layer) after `sam build`.

Runs `sam build` (no Docker; python3.13 from the venv on PATH) into a temporary directory and
reports, per function, the size of its build folder and of that folder zipped (what Lambda
receives). The baseline, computed in the same run from the installed distributions, is the zip
the same function would have with `aws-lambda-powertools[tracer,parser]` and its dependency
closure bundled in it (what pip would put there) instead of taken from the official layer.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from bench.processes import REPO
from bench.stats import markdown_table

BUNDLED_ALTERNATIVE = "aws-lambda-powertools[tracer,parser]"
# What the python3.13 runtime already provides (boto3 and its closure) is still bundled by pip:
# requirements.txt resolution does not know about the runtime.


def sam_build(build_dir: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAM_CLI_TELEMETRY": "0",
    }
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "sam"),
            "build",
            "--build-dir",
            str(build_dir / "build"),
            "--cache-dir",
            str(build_dir / "cache"),
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


def _zip_bytes(files: list[tuple[Path, str]]) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in files:
            archive.write(path, name)
    return buffer.getbuffer().nbytes


def folder_files(folder: Path) -> list[tuple[Path, str]]:
    return [
        (path, str(path.relative_to(folder)))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]


def distribution_closure(requirement: str) -> list[metadata.Distribution]:
    """The installed distributions pip would install for `requirement` (markers evaluated)."""
    seen: dict[str, metadata.Distribution] = {}
    pending = [Requirement(requirement)]
    while pending:
        current = pending.pop()
        key = current.name.lower().replace("_", "-")
        if key in seen:
            continue
        distribution = metadata.distribution(current.name)
        seen[key] = distribution
        for raw in distribution.requires or []:
            child = Requirement(raw)
            extras = current.extras or {""}
            if child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in extras
            ):
                pending.append(child)
    return list(seen.values())


def distribution_files(distributions: list[metadata.Distribution]) -> list[tuple[Path, str]]:
    files = []
    for distribution in distributions:
        for file in distribution.files or []:
            path = Path(str(distribution.locate_file(file)))
            if path.is_file() and "__pycache__" not in file.parts and path.suffix != ".pyc":
                files.append((path, str(file)))
    return files


def run() -> dict[str, Any]:
    bundled = distribution_files(distribution_closure(BUNDLED_ALTERNATIVE))
    with tempfile.TemporaryDirectory(prefix="bench-sam-") as directory:
        sam_build(Path(directory))
        build = Path(directory) / "build"
        rows = []
        for folder in sorted(path for path in build.iterdir() if path.is_dir()):
            files = folder_files(folder)
            zipped = _zip_bytes(files)
            with_powertools = _zip_bytes(files + bundled)
            rows.append(
                {
                    "function": folder.name,
                    "files": len(files),
                    "folder_bytes": sum(path.stat().st_size for path, _ in files),
                    "zip_bytes": zipped,
                    "folder_with_powertools_bytes": sum(
                        path.stat().st_size for path, _ in files + bundled
                    ),
                    "zip_with_powertools_bytes": with_powertools,
                    "ratio": zipped / with_powertools,
                }
            )
    return {"rows": rows, "table": table(rows), "bundled_alternative": BUNDLED_ALTERNATIVE}


def _size(value: int) -> str:
    return f"{value / 1024:.0f} KiB" if value < 1024 * 1024 else f"{value / 1024 / 1024:.1f} MiB"


def table(rows: list[dict[str, Any]]) -> str:
    return markdown_table(
        [
            "function or layer",
            "build folder",
            "zip",
            "Powertools bundled: folder",
            "Powertools bundled: zip",
            "zip smaller by",
        ],
        [
            [
                row["function"],
                _size(row["folder_bytes"]),
                _size(row["zip_bytes"]),
                _size(row["folder_with_powertools_bytes"]),
                _size(row["zip_with_powertools_bytes"]),
                f"{1 / row['ratio']:,.0f}x",
            ]
            for row in rows
        ],
    )


def main() -> None:
    argparse.ArgumentParser(description="deployment package size per function").parse_args()
    print(run()["table"])


if __name__ == "__main__":
    main()

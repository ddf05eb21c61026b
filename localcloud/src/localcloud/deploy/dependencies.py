"""Each CodeUri's ``requirements.txt``, installed as ``sam build`` would, into a cache per file.

``pip install --target`` into ``.localcloud/deps/<hash>/`` beside the template, the hash taken
over the file's bytes and the Python version, so an unchanged file is installed once and reused by
every later ``up``; a worker puts the folder on its path right after the code (in Lambda both sit
in ``/var/task``). The code itself still runs from the CodeUri folder, so edits need no rebuild.
A ``requirements.txt`` with only comments or blank lines installs nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

REQUIREMENTS = "requirements.txt"
CACHE_DIR = Path(".localcloud") / "deps"
# Output shown when pip fails: its last lines name the requirement it could not install.
_PIP_TAIL = 3000


class DependencyInstallError(RuntimeError):
    """pip could not install a CodeUri's requirements.txt."""


def dependency_cache(template_path: Path) -> Path:
    """Where a template's functions' requirements are installed: beside the template."""
    return template_path.resolve().parent / CACHE_DIR


def has_requirements(requirements: Path) -> bool:
    if not requirements.is_file():
        return False
    lines = (line.split("#", 1)[0].strip() for line in requirements.read_text().splitlines())
    return any(lines)


def cache_key(requirements: Path) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}".encode())
    return digest.hexdigest()[:16]


def install_dependencies(code_dir: Path, cache_root: Path) -> Path | None:
    """The folder holding ``code_dir``'s requirements, installed now unless already cached."""
    requirements = code_dir / REQUIREMENTS
    if not has_requirements(requirements):
        return None
    target = cache_root / cache_key(requirements)
    if target.is_dir():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    # Installed aside and renamed into place: a half-installed folder is never reused, and two
    # clouds starting at once do not write into one folder.
    staging = cache_root / f".{target.name}.{os.getpid()}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    log.info("installing %s into %s", requirements, target)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-input", "--target", str(staging), "--requirement", str(requirements),
    ]  # fmt: skip
    # cwd: the CodeUri folder, so relative paths in the file (local packages) resolve from there.
    result = subprocess.run(  # noqa: S603 - pip of this interpreter, no shell
        command, cwd=code_dir, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise DependencyInstallError(
            f"pip install -r {requirements} failed:\n{result.stderr[-_PIP_TAIL:]}"
        )
    try:
        staging.rename(target)
    except OSError:  # another cloud installed the same file first: use that one
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            raise
    return target

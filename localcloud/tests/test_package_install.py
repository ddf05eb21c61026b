"""The package installs into a fresh venv on its own and its console script answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# The repository's full pin set, when the package sits in it: the same transitive versions as the
# development venv, so pip resolves from its cache.
CONSTRAINTS = PACKAGE_ROOT.parent / "constraints.txt"

pytestmark = pytest.mark.slow


def _copy_package(target: Path) -> Path:
    """A copy of what `pip install <folder>` reads, so the build leaves nothing in the checkout."""
    copy = target / "localcloud"
    shutil.copytree(
        PACKAGE_ROOT,
        copy,
        ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__", ".*"),
    )
    return copy


def test_a_fresh_venv_installs_the_package_and_its_console_script(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    constraints = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.is_file() else []
    # --no-compile: byte-compiling boto3, botocore and moto is most of pip's CPU here, and the
    # test asks only that the install resolves, imports and runs (a first import compiles).
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile",
         str(package), *constraints],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-4000:]

    # From a folder that is not the checkout, with nothing on PYTHONPATH: only the install answers.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    script = subprocess.run(
        [str(env_dir / "bin" / "localcloud"), "--help"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert script.returncode == 0, script.stderr
    for command in ("up", "run", "stop", "invoke"):
        assert command in script.stdout

    located = subprocess.run(
        [str(python), "-c", "import localcloud; print(localcloud.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert located.returncode == 0, located.stderr
    assert Path(located.stdout.strip()).is_relative_to(env_dir)

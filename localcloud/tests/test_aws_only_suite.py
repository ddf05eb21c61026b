"""A suite written only for AWS passes unchanged against the local cloud in proxy mode:
``localcloud run --proxy -- pytest aws_only_suite/greeter_on_aws.py`` from the greeter project.

The suite's process gets no ``AWS_ENDPOINT_URL`` and no ``LOCALCLOUD_*`` value it could read by
accident beyond what `run` adds (it reads none; see its docstring); its AWS calls and its
execute-api requests can only succeed through the proxy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_SRC = Path(__file__).resolve().parents[1] / "src"
GREETER = Path(__file__).resolve().parent / "projects" / "greeter"
SUITE = Path(__file__).resolve().parent / "aws_only_suite"

pytestmark = pytest.mark.slow


def _clean_environment(home: Path) -> dict[str, str]:
    """This process's environment without anything that points AWS clients somewhere."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "LOCALCLOUD_"))
        and name.lower() not in {"https_proxy", "http_proxy", "no_proxy", "all_proxy"}
        and name not in {"REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"}
    }
    return {**kept, "HOME": str(home), "PYTHONPATH": str(PACKAGE_SRC)}


def test_a_suite_written_for_aws_passes_unchanged_in_proxy_mode(tmp_path: Path) -> None:
    project = tmp_path / "greeter"
    shutil.copytree(GREETER, project, ignore=shutil.ignore_patterns(".localcloud", "__pycache__"))
    suite = tmp_path / "suite"
    shutil.copytree(SUITE, suite)
    home = tmp_path / "home"
    home.mkdir()

    done = subprocess.run(
        [
            sys.executable, "-m", "localcloud", "run", "--proxy",
            "--port", "0", "--api-port", "0", "--proxy-port", "0",
            "--", sys.executable, "-m", "pytest", "-q", "--rootdir", str(suite),
            str(suite / "greeter_on_aws.py"),
        ],
        cwd=project, env=_clean_environment(home), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip

    assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert "4 passed" in done.stdout, done.stdout[-2000:]
    # The CA was made in the project's state folder, its key readable by its owner only.
    key = project / ".localcloud" / "proxy-ca" / "ca-key.pem"
    assert key.stat().st_mode & 0o077 == 0

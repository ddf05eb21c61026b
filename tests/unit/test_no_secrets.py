"""No credentials in the repository: AWS access key ids and secret keys in tracked text files.

The only credentials the project spells out are the documented local-cloud pair
(``localcloud`` / ``localcloud-secret``) and the ``testing`` dummies of the tests; neither
matches these patterns. Runs without a cloud (fast).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.repository import REPO_ROOT, repository_files

ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
SECRET_ASSIGNMENT = re.compile(
    r"aws_secret_access_key\s*[=:]\s*[\"']?(?P<value>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
    re.IGNORECASE,
)
# AWS's own documentation examples: published placeholders, not credentials.
DOCUMENTED_EXAMPLES = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def _tracked_text_files() -> list[Path]:
    files = []
    for path in repository_files():
        if path.stat().st_size > 2_000_000:
            continue
        if b"\0" in path.read_bytes()[:8192]:  # binary (images, zips)
            continue
        files.append(path)
    return files


def test_the_scan_sees_the_repository() -> None:
    names = {p.relative_to(REPO_ROOT).as_posix() for p in _tracked_text_files()}
    assert {"template.yaml", "localcloud/src/localcloud/config.py"} <= names


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("key = AKIA" + "ABCDEFGHIJKLMNOP", True),
        ("aws_secret_access_key = " + "A" * 40, True),
        ("AWS_SECRET_ACCESS_KEY=localcloud-secret", False),
        ("aws_access_key_id = localcloud", False),
    ],
)
def test_the_patterns_catch_keys_and_spare_the_local_credentials(text: str, found: bool) -> None:
    assert bool(ACCESS_KEY_ID.search(text) or SECRET_ASSIGNMENT.search(text)) is found


def test_no_aws_keys_in_tracked_files() -> None:
    leaks = []
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in ACCESS_KEY_ID.finditer(text):
            if match.group(0) not in DOCUMENTED_EXAMPLES:
                leaks.append(
                    f"{path.relative_to(REPO_ROOT)}: access key id {match.group(0)[:8]}..."
                )
        for match in SECRET_ASSIGNMENT.finditer(text):
            if match["value"] not in DOCUMENTED_EXAMPLES:
                leaks.append(f"{path.relative_to(REPO_ROOT)}: aws_secret_access_key = ...")
    assert not leaks, "\n".join(leaks)

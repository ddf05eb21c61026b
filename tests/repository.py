"""Where the application's tests find the repository's files, and how they read them.

Every suite (unit, integration, reliability) takes the root from here, and reads template.yaml
with the local cloud's own loader (samtranslator's YAML, which understands ``!GetAtt``, ``!Sub``,
``!If``...), so a test sees the template exactly as the local cloud deploys it.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from localcloud.deploy.template_loader import load_template

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = REPO_ROOT / "template.yaml"
EVENTS_DIR = REPO_ROOT / "events"


@cache
def template() -> dict[str, Any]:
    """template.yaml, parsed once per process and shared: deep-copy it before changing it."""
    return load_template(TEMPLATE)


def sample_event(path: str) -> dict[str, Any]:
    """A committed sample event, ``events/<system>/<name>.json``, as the handler receives it."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / path).read_text(encoding="utf-8"))
    return event


def repository_files() -> list[Path]:
    """What a clean clone would hold: the files git tracks and the new ones it does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [
        path for name in filter(None, listed.split("\0")) if (path := REPO_ROOT / name).is_file()
    ]


def documents() -> list[Path]:
    """Every Markdown document of the repository (the root README and those beside the code)."""
    return sorted(path for path in repository_files() if path.suffix == ".md")

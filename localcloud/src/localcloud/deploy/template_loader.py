"""Read a SAM template (YAML with CloudFormation short-form tags like ``!Ref``, or JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from samtranslator.yaml_helper import yaml_parse


def load_template(path: Path) -> dict[str, Any]:
    return cast(dict[str, Any], yaml_parse(path.read_text(encoding="utf-8")))

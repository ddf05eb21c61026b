"""What a saved cloud was deployed from, and what changed since.

A saved cloud is restored only onto the same deployment: the same template (file and content),
stack name, region, parameters (``samconfig.toml`` and ``--parameter-overrides``) and ports
(the functions' environment and the queues' URLs name the moto port; the API URL names the API
front's). A changed template is refused rather than redeployed as an update: the deployer only
creates stacks, and moto's stack update would replace resources (and drop their data) where AWS
would update them in place, so an "update" could silently lose what ``--persist`` is meant to
keep. The message names what changed; ``--reset`` redeploys from scratch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from localcloud.deploy.template_loader import load_template


def _digest(value: Any) -> str:
    text = value if isinstance(value, bytes) else json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text if isinstance(text, bytes) else text.encode()).hexdigest()[:16]


def _read_or_empty(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def fingerprint(
    template: Path,
    *,
    stack_name: str,
    region: str,
    config_env: str,
    parameter_overrides: tuple[str, ...],
    port: int,
    api_port: int,
) -> dict[str, Any]:
    template = template.resolve()
    document = load_template(template)
    samconfig = template.parent / "samconfig.toml"
    sections = {key: _digest(value) for key, value in document.items() if key != "Resources"}
    return {
        "template": str(template),
        "stack_name": stack_name,
        "region": region,
        "parameters": _digest(
            [config_env, list(parameter_overrides), _digest(_read_or_empty(samconfig))]
        ),
        "ports": [port, api_port],
        "sections": sections,
        "resources": {
            logical_id: _digest(resource)
            for logical_id, resource in (document.get("Resources") or {}).items()
        },
    }


def changes(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs, in words; empty when the saved cloud fits."""
    found = []
    for key, what in (
        ("template", "template file"),
        ("stack_name", "stack name"),
        ("region", "region"),
    ):
        if saved.get(key) != current[key]:
            found.append(f"{what} {saved.get(key)!r} is now {current[key]!r}")
    if saved.get("parameters") != current["parameters"]:
        found.append("parameters changed (samconfig.toml, --config-env or --parameter-overrides)")
    if list(saved.get("ports") or []) != current["ports"]:
        port, api_port = saved.get("ports") or [None, None]
        found.append(f"saved with --port {port} --api-port {api_port}, not {current['ports']}")
    saved_resources: dict[str, str] = saved.get("resources") or {}
    resources: dict[str, str] = current["resources"]
    added = sorted(resources.keys() - saved_resources.keys())
    removed = sorted(saved_resources.keys() - resources.keys())
    changed = sorted(
        key
        for key in resources.keys() & saved_resources.keys()
        if resources[key] != saved_resources[key]
    )
    for names, verb in ((added, "added"), (removed, "removed"), (changed, "changed")):
        if names:
            found.append(f"resources {verb} in the template: {', '.join(names)}")
    sections = sorted(
        key
        for key in (saved.get("sections") or {}).keys() | current["sections"].keys()
        if (saved.get("sections") or {}).get(key) != current["sections"].get(key)
    )
    if sections:
        found.append(f"template sections changed: {', '.join(sections)}")
    return found

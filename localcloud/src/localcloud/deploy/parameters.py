"""Stack parameters with SAM CLI's precedence: template defaults < samconfig.toml < command line.

``parameter_overrides`` accepts SAM CLI's two spellings: ``Key=Value`` pairs separated by spaces
(values optionally quoted) and ``ParameterKey=Key,ParameterValue=Value``.
"""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


class ParameterError(ValueError):
    """A parameter override the template does not declare, or one that cannot be parsed."""


def parse_overrides(overrides: str | Iterable[str]) -> dict[str, str]:
    """``'A="1" B=2'`` or ``["A=1", "B=2"]`` -> ``{"A": "1", "B": "2"}``."""
    chunks = [overrides] if isinstance(overrides, str) else list(overrides)
    parsed: dict[str, str] = {}
    for chunk in chunks:
        for token in shlex.split(chunk):
            if token.startswith("ParameterKey="):
                fields = dict(part.split("=", 1) for part in token.split(",", 1))
                key, value = fields.get("ParameterKey"), fields.get("ParameterValue")
            else:
                key, sep, value = token.partition("=")
                if not sep:
                    value = None
            if not key or value is None:
                raise ParameterError(f"cannot parse parameter override {token!r} (want Key=Value)")
            parsed[key] = value
    return parsed


def samconfig_overrides(samconfig: Path, config_env: str) -> dict[str, str]:
    """``[<config_env>.deploy.parameters] parameter_overrides`` of samconfig.toml, if any."""
    if not samconfig.is_file():
        return {}
    with samconfig.open("rb") as handle:
        config: dict[str, Any] = tomllib.load(handle)
    section = config.get(config_env, {}).get("deploy", {}).get("parameters", {})
    overrides = section.get("parameter_overrides")
    if overrides is None:
        return {}
    return parse_overrides(overrides)


def template_defaults(template: Mapping[str, Any]) -> dict[str, str]:
    return {
        name: str(declaration["Default"])
        for name, declaration in (template.get("Parameters") or {}).items()
        if "Default" in declaration
    }


def resolve_parameters(
    template: Mapping[str, Any],
    samconfig: Path | None = None,
    config_env: str = "local",
    cli_overrides: str | Iterable[str] = (),
) -> dict[str, str]:
    """Every declared parameter that has a value, the later source winning."""
    declared = set((template.get("Parameters") or {}).keys())
    from_config = samconfig_overrides(samconfig, config_env) if samconfig else {}
    from_cli = parse_overrides(cli_overrides)
    unknown = sorted((set(from_config) | set(from_cli)) - declared)
    if unknown:
        raise ParameterError(f"template declares no parameter(s) {', '.join(unknown)}")
    return {**template_defaults(template), **from_config, **from_cli}


def samconfig_stack_name(samconfig: Path, config_env: str) -> str | None:
    """``[<config_env>.global.parameters] stack_name`` (or ``deploy``'s), if set."""
    if not samconfig.is_file():
        return None
    with samconfig.open("rb") as handle:
        config: dict[str, Any] = tomllib.load(handle)
    env = config.get(config_env, {})
    for command in ("deploy", "global"):
        name = env.get(command, {}).get("parameters", {}).get("stack_name")
        if name:
            return str(name)
    return None

"""Parameter precedence: template defaults < samconfig.toml < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.deploy.parameters import (
    ParameterError,
    parse_overrides,
    resolve_parameters,
    samconfig_stack_name,
)

TEMPLATE = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "v1"},
        "Shards": {"Type": "Number", "Default": 2},
        "Flag": {"Type": "String", "Default": "false"},
        "NoDefault": {"Type": "String"},
    }
}


@pytest.fixture
def samconfig(tmp_path: Path) -> Path:
    path = tmp_path / "samconfig.toml"
    path.write_text(
        "version = 0.1\n"
        '[local.global.parameters]\nstack_name = "from-samconfig"\n'
        '[local.deploy.parameters]\nparameter_overrides = \'Flag="true" Stage="local"\'\n'
        '[prod.deploy.parameters]\nparameter_overrides = ["Stage=prod"]\n'
    )
    return path


def test_both_override_spellings_parse() -> None:
    assert parse_overrides('A="x y" B=2') == {"A": "x y", "B": "2"}
    assert parse_overrides(["ParameterKey=A,ParameterValue=1", "B=c=d"]) == {"A": "1", "B": "c=d"}
    with pytest.raises(ParameterError):
        parse_overrides("JustAKey")


def test_defaults_then_samconfig_then_cli(samconfig: Path) -> None:
    assert resolve_parameters(TEMPLATE) == {"Stage": "v1", "Shards": "2", "Flag": "false"}
    assert resolve_parameters(TEMPLATE, samconfig, "local") == {
        "Stage": "local",
        "Shards": "2",
        "Flag": "true",
    }
    assert resolve_parameters(TEMPLATE, samconfig, "local", ["Stage=cli", "NoDefault=x"]) == {
        "Stage": "cli",
        "Shards": "2",
        "Flag": "true",
        "NoDefault": "x",
    }
    assert resolve_parameters(TEMPLATE, samconfig, "prod")["Stage"] == "prod"


def test_missing_samconfig_or_section_means_defaults(samconfig: Path, tmp_path: Path) -> None:
    assert resolve_parameters(TEMPLATE, tmp_path / "none.toml")["Stage"] == "v1"
    assert resolve_parameters(TEMPLATE, samconfig, "staging")["Stage"] == "v1"


def test_undeclared_parameter_is_an_error(samconfig: Path) -> None:
    with pytest.raises(ParameterError, match="Typo"):
        resolve_parameters(TEMPLATE, samconfig, "local", "Typo=1")


def test_stack_name_comes_from_samconfig(samconfig: Path) -> None:
    assert samconfig_stack_name(samconfig, "local") == "from-samconfig"
    assert samconfig_stack_name(samconfig, "prod") is None

"""The one way every function reads its settings: lambda_observability.env_settings."""

from __future__ import annotations

import pytest
from pydantic import Field

from inbox_outbox.settings import ProcessInputSettings
from lambda_observability.env_settings import EnvSettings, SettingsError, settings_from_env


class Knobs(EnvSettings):
    size: int = Field(3, alias="KNOB_SIZE", ge=1)


class Function(EnvSettings):
    name: str = Field(alias="FUNCTION_NAME", min_length=1)
    knobs: Knobs


def test_nested_settings_read_the_same_environment() -> None:
    settings = settings_from_env(Function, {"FUNCTION_NAME": " f ", "KNOB_SIZE": "7"})
    assert settings == Function(name="f", knobs=Knobs(size=7))


def test_blank_means_unset_so_the_default_applies() -> None:
    assert settings_from_env(Function, {"FUNCTION_NAME": "f", "KNOB_SIZE": "  "}).knobs.size == 3


def test_variables_are_read_by_their_names_only() -> None:
    # A variable spelled like the Python field is not the setting.
    with pytest.raises(SettingsError, match="environment variable FUNCTION_NAME is required"):
        settings_from_env(Function, {"name": "f"})
    assert settings_from_env(Function, {"FUNCTION_NAME": "f", "size": "9"}).knobs.size == 3


def test_every_problem_is_named_with_the_value_given() -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from_env(Function, {"FUNCTION_NAME": "", "KNOB_SIZE": "many"})
    assert str(raised.value) == (
        "environment variable FUNCTION_NAME is required; KNOB_SIZE: Input should be a valid"
        " integer, unable to parse string as an integer, got 'many'"
    )


def test_a_rule_across_variables_never_echoes_the_environment() -> None:
    environment = {
        "OUTPUT_QUEUE_URL": "https://example/q",
        "RETRY_BACKOFF_BASE_SECONDS": "30",
        "RETRY_BACKOFF_MAX_SECONDS": "10",
        "AWS_SECRET_ACCESS_KEY": "do-not-print-me",
    }
    with pytest.raises(SettingsError) as raised:
        settings_from_env(ProcessInputSettings, environment)
    assert str(raised.value) == (
        "RETRY_BACKOFF_MAX_SECONDS (10) must be at least RETRY_BACKOFF_BASE_SECONDS (30)"
    )

"""Settings read from the environment into typed, validated pydantic models (one way for every
function; the pattern of aws-lambda-handler-cookbook's ``env_vars.py``).

A settings model names each environment variable as a field alias. Blank values count as unset
(the template deploys optional knobs as ""), so a field's default applies; a field whose type is
itself a settings model is read from the same environment. Any problem is one `SettingsError`
naming the variable: a deployment bug, not a data problem, so the invoke fails loudly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# A variable that must be set: a blank one counts as unset, and code cannot pass "" either.
Required = Annotated[str, Field(min_length=1)]


class SettingsError(ValueError):
    """An environment variable is missing or malformed."""


class EnvSettings(BaseModel):
    """Base of every settings model: fields read by alias from the environment, built by name in
    code and tests, immutable."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_alias=True, validate_by_name=True
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        variables = {
            key: value.strip() if isinstance(value, str) else value
            for key, value in data.items()
            if not (isinstance(value, str) and not value.strip())
        }
        for name, field in cls.model_fields.items():
            nested = field.annotation
            key = field.alias or name
            if isinstance(nested, type) and issubclass(nested, EnvSettings) and key not in data:
                variables[key] = dict(variables)
        return variables


Settings = TypeVar("Settings", bound=EnvSettings)


def settings_from_env(model: type[Settings], environ: Mapping[str, str] = os.environ) -> Settings:
    """Validate the environment (variables by their alias only) against `model`."""
    try:
        return model.model_validate(dict(environ), by_alias=True, by_name=False)
    except ValidationError as error:
        raise SettingsError("; ".join(_describe(problem) for problem in error.errors())) from None


def _describe(problem: Any) -> str:
    if problem["type"] == "missing":
        return f"environment variable {problem['loc'][-1]} is required"
    message = str(problem["msg"]).removeprefix("Value error, ")
    if isinstance(problem["input"], Mapping):
        # A rule across variables (its message names them): never echo the whole environment.
        return message
    return f"{problem['loc'][-1]}: {message}, got {problem['input']!r}"

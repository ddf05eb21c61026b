"""What a CloudFormation request deploys: its template (inline, in S3, or the stack's previous
one), its parameters (the template's defaults, the values given, the previous values asked for)
and the capabilities its IAM resources need."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import unquote, urlparse

from samtranslator.yaml_helper import yaml_parse

from localcloud.deploy.artifacts import ArtifactError, read_object
from localcloud.deploy.parameters import template_defaults
from localcloud.deploy.prepared import PreparedStack
from localcloud.stack_deployments.protocol import QueryError, QueryRequest

# bucket.s3.amazonaws.com, bucket.s3.us-east-1.amazonaws.com, bucket.s3-us-east-1.amazonaws.com
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$")
# What IAM resource properties name the resource (CAPABILITY_NAMED_IAM).
_IAM_NAMES = ("RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName")


def s3_location(url: str) -> tuple[str, str]:
    """The bucket and key of a TemplateURL: virtual-hosted (``bucket.s3…amazonaws.com/key``) or
    path-style (``https://s3.amazonaws.com/bucket/key``, ``http://127.0.0.1:4566/bucket/key``)."""
    parsed = urlparse(url)
    virtual = _VIRTUAL_HOST.match(parsed.hostname or "")
    if virtual:
        return virtual["bucket"], unquote(parsed.path.lstrip("/"))
    bucket, _, key = parsed.path.lstrip("/").partition("/")
    if not bucket or not key:
        raise QueryError("ValidationError", f"TemplateURL must be an Amazon S3 URL: {url}")
    return bucket, unquote(key)


def template_text(request: QueryRequest, s3: Any, previous: PreparedStack | None) -> str:
    body = request.get("TemplateBody")
    if body:
        return body
    url = request.get("TemplateURL")
    if url:
        try:
            return read_object(s3, *s3_location(url)).decode("utf-8")
        except ArtifactError as error:
            raise QueryError("ValidationError", f"TemplateURL: {error}") from None
    if request.flag("UsePreviousTemplate"):
        if previous is None:
            raise QueryError("ValidationError", "the stack has no previous template")
        return previous.template_body
    raise QueryError("ValidationError", "Either Template URL or Template Body must be specified.")


def parse_template(text: str) -> dict[str, Any]:
    try:
        template = yaml_parse(text)
    except Exception as error:  # yaml's and json's errors alike
        raise QueryError("ValidationError", f"Template format error: {error}") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise QueryError(
            "ValidationError",
            "Template format error: At least one Resources member must be defined.",
        )
    return cast(dict[str, Any], template)


def stack_parameters(
    template: Mapping[str, Any],
    given: list[dict[str, str]],
    previous: Mapping[str, str] | None,
) -> dict[str, str]:
    """The template's defaults, overridden by the values given (``UsePreviousValue``: the
    stack's current one)."""
    declared = template.get("Parameters") or {}
    values = template_defaults(template)
    unknown = [p.get("ParameterKey", "") for p in given if p.get("ParameterKey") not in declared]
    if unknown:
        raise QueryError(
            "ValidationError", f"Parameters: [{', '.join(unknown)}] do not exist in the template"
        )
    for parameter in given:
        key = parameter["ParameterKey"]
        if parameter.get("UsePreviousValue", "").lower() == "true":
            if previous is None or key not in previous:
                raise QueryError("ValidationError", f"Parameter {key} has no previous value to use")
            values[key] = previous[key]
        else:
            values[key] = parameter.get("ParameterValue", "")
    missing = [key for key in declared if key not in values]
    if missing:
        raise QueryError("ValidationError", f"Parameters: [{', '.join(missing)}] must have values")
    return values


def check_capabilities(
    translated: Mapping[str, Any], capabilities: list[str], *, expands: bool = False
) -> None:
    """IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM, and a template whose
    transform ``CreateStack``/``UpdateStack`` expands (``expands``) CAPABILITY_AUTO_EXPAND, as in
    CloudFormation (a change set is reviewed before it runs: it needs no AUTO_EXPAND)."""
    if expands and "CAPABILITY_AUTO_EXPAND" not in capabilities:
        raise QueryError(
            "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
        )
    iam = [
        resource
        for resource in (translated.get("Resources") or {}).values()
        if str(resource.get("Type", "")).startswith("AWS::IAM::")
    ]
    named = any(set(_IAM_NAMES) & set(r.get("Properties") or {}) for r in iam)
    if named and "CAPABILITY_NAMED_IAM" not in capabilities:
        needed = "CAPABILITY_NAMED_IAM"
    elif iam and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(capabilities):
        needed = "CAPABILITY_IAM"
    else:
        return
    raise QueryError("InsufficientCapabilitiesException", f"Requires capabilities : [{needed}]")

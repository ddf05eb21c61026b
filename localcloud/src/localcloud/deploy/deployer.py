"""Deploy a SAM template onto a moto server and describe the result as a DeployedStack.

Steps: parameters (template < samconfig < CLI) -> package code into moto S3 -> policy attributes
(LanguageExtensions) -> samtranslator -> moto fixups and SSM-typed parameters -> ``create_stack``
-> import each REST API body and create its stage -> read the internal outputs (event source
mappings, API bodies) and hide them -> build the specs.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from localcloud.clients import local_client
from localcloud.config import ACCOUNT_ID, DEFAULT_CONFIG_ENV
from localcloud.deploy.dependencies import dependency_cache, install_dependencies
from localcloud.deploy.esm_specs import esm_spec
from localcloud.deploy.package import PackagedCode, package_functions
from localcloud.deploy.parameters import resolve_parameters
from localcloud.deploy.policy_attributes import resolve_policy_attributes
from localcloud.deploy.ssm_parameters import resolve_for_moto
from localcloud.deploy.template_loader import load_template
from localcloud.deploy.translate import translate
from localcloud.functions.configuration import configured
from localcloud.functions.logging_config import from_template
from localcloud.moto_internals.cloudformation_events import CreatedResource, record_resource_events
from localcloud.moto_internals.cloudformation_fixups import (
    ESM_TYPE,
    FUNCTION_TYPE,
    REST_API_TYPE,
    MotoTemplate,
    prepare_for_moto,
)
from localcloud.moto_internals.cloudformation_outputs import hide_outputs
from localcloud.moto_internals.lambda_configuration import declare_configuration
from localcloud.specs import DeployedStack, FunctionSpec, RestApiSpec, StackEventSourceMapping

log = logging.getLogger(__name__)


class DeployError(RuntimeError):
    """The stack did not reach CREATE_COMPLETE."""


def _client(service: str, endpoint_url: str, region: str) -> Any:
    return local_client(service, endpoint_url, region)


def artifact_bucket(stack_name: str) -> str:
    slug = re.sub(r"[^a-z0-9-]", "-", stack_name.lower()).strip("-")
    return f"localcloud-artifacts-{slug}"[:63]


def moto_compatible_body(body: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The OpenAPI body without integration credentials moto refuses.

    SAM writes ``credentials: arn:aws:iam::*:user/*`` ("call with the caller's credentials") on
    AWS_IAM-authorized Lambda routes; moto rejects any role outside its account ("Cross-account
    pass role is not allowed"). moto only stores integrations, so the copy it gets drops those;
    ``RestApiSpec.definition`` keeps the original for the API front.
    """
    own = f"arn:aws:iam::{account_id}:"
    copy: dict[str, Any] = json.loads(json.dumps(body))
    for path_item in (copy.get("paths") or {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            integration: dict[str, Any] = operation.get("x-amazon-apigateway-integration") or {}
            credentials = integration.get("credentials")
            if isinstance(credentials, str) and not credentials.startswith(own):
                del integration["credentials"]
    return copy


def _with_dependencies(
    packaged: dict[str, PackagedCode], cache_root: Path
) -> dict[str, PackagedCode]:
    """Each function's code with its requirements.txt installed (once per distinct folder)."""
    installed = {
        folder: install_dependencies(folder, cache_root)
        for folder in {code.code_dir for code in packaged.values()}
    }
    return {
        logical_id: replace(
            code, dependency_dirs=(dep,) if (dep := installed[code.code_dir]) else ()
        )
        for logical_id, code in packaged.items()
    }


def _function_spec(
    lambda_client: Any,
    logical_id: str,
    function_name: str,
    code: PackagedCode,
    logging_config: Any = None,
) -> FunctionSpec:
    function = lambda_client.get_function(FunctionName=function_name)
    log_group, log_format = from_template(logging_config)
    reserved = (function.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
    # Lambda's defaults where the configuration is silent; configured() reads the rest.
    defaults = FunctionSpec(
        logical_id=logical_id,
        function_name=function_name,
        handler="",
        code_dir=code.code_dir,
        layer_dirs=code.layer_dirs,
        dependency_dirs=code.dependency_dirs,
        runtime="",
        timeout_s=3,
        memory_mb=128,
        reserved_concurrency=int(reserved) if reserved is not None else None,
        log_group=log_group,
        log_format=log_format,
    )
    return configured(defaults, function["Configuration"])


def _report_as_declared(
    stack_name: str,
    region: str,
    *,
    moto_template: MotoTemplate,
    outputs: dict[str, str],
    resources: list[dict[str, Any]],
    mappings: tuple[StackEventSourceMapping, ...],
) -> None:
    """What moto's CloudFormation drops: functions' declared settings, per-resource events."""
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    for logical_id, key in moto_template.function_outputs.items():
        if key in outputs and logical_id in physical:
            declare_configuration(
                stack_name, region, physical[logical_id], json.loads(outputs[key])
            )
    record_resource_events(
        stack_name,
        region,
        [
            *(
                CreatedResource(r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceType"])
                for r in resources
            ),
            *(CreatedResource(m.logical_id, m.uuid, ESM_TYPE) for m in mappings),
        ],
    )


def deploy_stack(
    template_path: Path,
    stack_name: str,
    *,
    endpoint_url: str,
    region: str,
    config_env: str = DEFAULT_CONFIG_ENV,
    parameter_overrides: str | Iterable[str] = (),
    samconfig: Path | None = None,
) -> DeployedStack:
    started = time.perf_counter()
    template_path = template_path.resolve()
    template = load_template(template_path)
    samconfig = samconfig or template_path.parent / "samconfig.toml"
    parameters = resolve_parameters(template, samconfig, config_env, parameter_overrides)

    s3 = _client("s3", endpoint_url, region)
    packaged = package_functions(template, template_path.parent, s3, artifact_bucket(stack_name))
    packaged = _with_dependencies(packaged, dependency_cache(template_path))
    # AWS::LanguageExtensions first, as CloudFormation runs it before the SAM transform.
    template = resolve_policy_attributes(template, parameters)
    moto_template = prepare_for_moto(translate(template, parameters, region))
    moto_parameters = resolve_for_moto(moto_template.template, parameters, region)
    for dropped in moto_template.dropped:
        log.info("%s (%s) not created in moto: %s", *vars(dropped).values())
    if moto_template.stripped_layers:
        log.info(
            "Layers removed from moto's copy (Powertools comes from the venv, the stack's own "
            "layers from their ContentUri): %s",
            moto_template.stripped_layers,
        )

    cfn = _client("cloudformation", endpoint_url, region)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(moto_template.template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in moto_parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise DeployError(f"{stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    types = {r["LogicalResourceId"]: r["ResourceType"] for r in resources}

    apigw = _client("apigateway", endpoint_url, region)
    rest_apis: list[RestApiSpec] = []
    for logical_id, key in moto_template.api_outputs.items():
        if key not in outputs or types.get(logical_id) != REST_API_TYPE:
            continue  # conditioned out
        api = json.loads(outputs[key])
        api_id, stage = physical[logical_id], api["StageName"]
        if api["Body"]:
            apigw.put_rest_api(
                restApiId=api_id,
                mode="overwrite",
                body=json.dumps(moto_compatible_body(api["Body"], ACCOUNT_ID)).encode(),
            )
        if stage:
            apigw.create_deployment(restApiId=api_id, stageName=stage)
        rest_apis.append(RestApiSpec(logical_id, api_id, stage or "", api["Body"]))

    mapping_resources = tuple(
        StackEventSourceMapping(logical_id, str(uuid.uuid4()), json.loads(outputs[key]))
        for logical_id, key in moto_template.esm_outputs.items()
        if key in outputs
    )
    mappings = [esm_spec(m.logical_id, m.properties) for m in mapping_resources]
    _report_as_declared(
        stack_name,
        region,
        moto_template=moto_template,
        outputs=outputs,
        resources=resources,
        mappings=mapping_resources,
    )
    lambda_client = _client("lambda", endpoint_url, region)
    functions = {}
    for logical_id, rtype in types.items():
        if rtype == FUNCTION_TYPE and logical_id in packaged:
            code = packaged[logical_id]
            logging_key = moto_template.logging_outputs.get(logical_id)
            logging_config = json.loads(outputs[logging_key]) if logging_key in outputs else None
            spec = _function_spec(
                lambda_client, logical_id, physical[logical_id], code, logging_config
            )
            functions[spec.function_name] = spec

    internal = [
        *moto_template.esm_outputs.values(),
        *moto_template.api_outputs.values(),
        *moto_template.function_outputs.values(),
        *moto_template.logging_outputs.values(),
    ]
    if hide_outputs(stack_name, region, internal):
        outputs = {k: v for k, v in outputs.items() if k not in internal}
    log.info(
        "deployed %s: %d resources, %d functions, %d event source mappings in %.2f s",
        stack_name,
        len(resources),
        len(functions),
        len(mappings),
        time.perf_counter() - started,
    )
    return DeployedStack(
        stack_name=stack_name,
        region=region,
        outputs=outputs,
        functions=functions,
        event_source_mappings=mappings,
        rest_apis=rest_apis,
        event_source_mapping_resources=mapping_resources,
    )

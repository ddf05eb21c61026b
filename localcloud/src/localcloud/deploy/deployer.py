"""Deploy a SAM template onto a moto server and describe the result as a DeployedStack.

Steps: parameters (template < samconfig < CLI) -> package code into moto S3 -> ``prepare_stack``
(policy attributes, samtranslator, moto fixups, SSM-typed parameters) -> ``create_stack`` (or
``update_stack``) -> import each REST API body and create its stage -> read the internal outputs
(event source mappings, API bodies) and hide them -> build the specs.

``localcloud up`` runs them all from a template file (``deploy_template_file``); a change set
(``localcloud.stack_deployments``) hands a template whose code ``sam deploy`` uploaded to
``create`` or ``update`` once prepared.
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
from typing import Any, Literal

from localcloud.clients import deployer_client
from localcloud.config import ACCOUNT_ID, DEFAULT_CONFIG_ENV
from localcloud.deploy.changes import resource_changes
from localcloud.deploy.dependencies import dependency_cache, install_dependencies
from localcloud.deploy.esm_specs import esm_spec
from localcloud.deploy.package import PackagedCode, layer_content_dirs, package_functions
from localcloud.deploy.parameters import resolve_parameters
from localcloud.deploy.prepared import Deployment, PreparedStack, StackCode, prepare_stack
from localcloud.deploy.template_loader import load_template
from localcloud.deploy.updates import plan_moto_update
from localcloud.functions.configuration import configured
from localcloud.functions.logging_config import from_template
from localcloud.moto_internals.cloudformation_events import ResourceEvent, record_resource_events
from localcloud.moto_internals.cloudformation_fixups import (
    ESM_TYPE,
    FUNCTION_TYPE,
    LAYER_VERSION_TYPE,
    REST_API_TYPE,
)
from localcloud.moto_internals.cloudformation_outputs import hide_outputs
from localcloud.moto_internals.cloudformation_stacks import replace_before_update
from localcloud.moto_internals.lambda_configuration import declare_configuration
from localcloud.specs import DeployedStack, FunctionSpec, RestApiSpec, StackEventSourceMapping

log = logging.getLogger(__name__)


CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


class DeployError(RuntimeError):
    """The stack did not reach CREATE_COMPLETE (UPDATE_COMPLETE)."""


def _client(service: str, endpoint_url: str, region: str) -> Any:
    return deployer_client(service, endpoint_url, region)


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


def _resource_events(
    resources: list[dict[str, Any]],
    mappings: tuple[StackEventSourceMapping, ...],
    prepared: PreparedStack,
    previous: Deployment | None,
    modified: Iterable[str],
) -> list[ResourceEvent]:
    """Every resource created on a create; on an update, those added, modified and removed."""
    now = [(r["LogicalResourceId"], r["ResourceType"], r["PhysicalResourceId"]) for r in resources]
    now += [(m.logical_id, ESM_TYPE, m.uuid) for m in mappings]
    if previous is None:
        return [ResourceEvent(i, physical, rtype) for i, rtype, physical in now]
    changed = {
        c.logical_id: c.action
        for c in resource_changes(
            prepared.resources, previous.prepared.resources, also_modified=modified
        )
    }
    events = [
        ResourceEvent(i, physical, rtype, "CREATE" if i not in previous.physical_ids else "UPDATE")
        for i, rtype, physical in now
        if i in changed
    ]
    current = {i for i, _, _ in now}
    events += [
        ResourceEvent(i, physical, rtype, "DELETE")
        for i, (rtype, physical) in previous.physical_ids.items()
        if i not in current
    ]
    return events


def _declare_configuration(
    prepared: PreparedStack, region: str, outputs: dict[str, str], physical: dict[str, str]
) -> None:
    """What moto's CloudFormation drops: the functions' declared settings."""
    for logical_id, key in prepared.moto_template.function_outputs.items():
        if key in outputs and logical_id in physical:
            declare_configuration(
                prepared.stack_name, region, physical[logical_id], json.loads(outputs[key])
            )


def _import_apis(
    apigw: Any,
    prepared: PreparedStack,
    outputs: dict[str, str],
    physical: dict[str, str],
    types: dict[str, str],
) -> list[RestApiSpec]:
    rest_apis: list[RestApiSpec] = []
    for logical_id, key in prepared.moto_template.api_outputs.items():
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
    return rest_apis


def _deployed(
    prepared: PreparedStack,
    *,
    endpoint_url: str,
    region: str,
    previous: Deployment | None = None,
    modified: Iterable[str] = (),
) -> Deployment:
    """The stack moto just created (or updated), finished and described as the local cloud runs
    it: APIs imported, mappings read, declared settings and events recorded, outputs hidden."""
    stack_name, moto_template = prepared.stack_name, prepared.moto_template
    cfn = _client("cloudformation", endpoint_url, region)
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    operation: Literal["CREATE", "UPDATE"] = "UPDATE" if previous is not None else "CREATE"
    if stack["StackStatus"] != f"{operation}_COMPLETE":
        raise DeployError(f"{stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    types = {r["LogicalResourceId"]: r["ResourceType"] for r in resources}

    apigw = _client("apigateway", endpoint_url, region)
    rest_apis = _import_apis(apigw, prepared, outputs, physical, types)
    # A mapping keeps its UUID across updates, as CloudFormation keeps a physical id.
    previous_mappings = previous.stack.event_source_mapping_resources if previous else ()
    kept = {m.logical_id: m.uuid for m in previous_mappings}
    mapping_resources = tuple(
        StackEventSourceMapping(
            logical_id, kept.get(logical_id) or str(uuid.uuid4()), json.loads(outputs[key])
        )
        for logical_id, key in moto_template.esm_outputs.items()
        if key in outputs
    )
    mappings = [esm_spec(m.logical_id, m.properties) for m in mapping_resources]
    _declare_configuration(prepared, region, outputs, physical)
    record_resource_events(
        stack_name,
        region,
        _resource_events(resources, mapping_resources, prepared, previous, modified),
        operation,
    )
    lambda_client = _client("lambda", endpoint_url, region)
    functions = {}
    for logical_id, rtype in types.items():
        if rtype == FUNCTION_TYPE and logical_id in prepared.code.functions:
            logging_key = moto_template.logging_outputs.get(logical_id)
            logging_config = json.loads(outputs[logging_key]) if logging_key in outputs else None
            spec = _function_spec(
                lambda_client,
                logical_id,
                physical[logical_id],
                prepared.code.functions[logical_id],
                logging_config,
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
    physical_ids = {
        r["LogicalResourceId"]: (r["ResourceType"], r["PhysicalResourceId"]) for r in resources
    }
    physical_ids.update({m.logical_id: (ESM_TYPE, m.uuid) for m in mapping_resources})
    return Deployment(
        prepared,
        DeployedStack(
            stack_name=stack_name,
            region=region,
            outputs=outputs,
            functions=functions,
            event_source_mappings=mappings,
            rest_apis=rest_apis,
            event_source_mapping_resources=mapping_resources,
        ),
        physical_ids,
    )


def _moto_parameters(prepared: PreparedStack) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in prepared.moto_parameters.items()]


def _tags(prepared: PreparedStack) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in prepared.tags.items()]


def create(prepared: PreparedStack, *, endpoint_url: str, region: str) -> Deployment:
    started = time.perf_counter()
    _client("cloudformation", endpoint_url, region).create_stack(
        StackName=prepared.stack_name,
        TemplateBody=json.dumps(prepared.moto_template.template),
        Parameters=_moto_parameters(prepared),
        Capabilities=CAPABILITIES,
        Tags=_tags(prepared),
    )
    deployment = _deployed(prepared, endpoint_url=endpoint_url, region=region)
    _log_deployed("deployed", deployment, started)
    return deployment


def update(
    prepared: PreparedStack, previous: Deployment, *, endpoint_url: str, region: str
) -> Deployment:
    """``prepared`` over the stack ``previous`` deployed (``deploy.updates`` decides whether
    moto can; ``UpdateRefused`` before anything changed if not)."""
    started = time.perf_counter()
    plan = plan_moto_update(prepared, region)
    for logical_id in plan.replaced:
        replace_before_update(prepared.stack_name, region, logical_id)
    _client("cloudformation", endpoint_url, region).update_stack(
        StackName=prepared.stack_name,
        TemplateBody=json.dumps(prepared.moto_template.template),
        Parameters=_moto_parameters(prepared),
        Capabilities=CAPABILITIES,
        Tags=_tags(prepared),
    )
    deployment = _deployed(
        prepared,
        endpoint_url=endpoint_url,
        region=region,
        previous=previous,
        modified=plan.modified,
    )
    _log_deployed("updated", deployment, started)
    return deployment


def _log_deployed(verb: str, deployment: Deployment, started: float) -> None:
    stack = deployment.stack
    log.info(
        "%s %s: %d resources, %d functions, %d event source mappings in %.2f s",
        verb,
        stack.stack_name,
        len(deployment.physical_ids),
        len(stack.functions),
        len(stack.event_source_mappings),
        time.perf_counter() - started,
    )


def _layer_zips(translated: dict[str, Any]) -> dict[str, str]:
    """LayerVersion logical id -> ``s3://bucket/key`` of its content."""
    zips = {}
    for logical_id, resource in (translated.get("Resources") or {}).items():
        if resource.get("Type") == LAYER_VERSION_TYPE:
            content = (resource.get("Properties") or {}).get("Content") or {}
            zips[logical_id] = f"s3://{content.get('S3Bucket')}/{content.get('S3Key')}"
    return zips


def deploy_template_file(
    template_path: Path,
    stack_name: str,
    *,
    endpoint_url: str,
    region: str,
    config_env: str = DEFAULT_CONFIG_ENV,
    parameter_overrides: str | Iterable[str] = (),
    samconfig: Path | None = None,
) -> Deployment:
    """``localcloud up``'s deploy: the template file's code packaged from its folders."""
    template_path = template_path.resolve()
    template = load_template(template_path)
    samconfig = samconfig or template_path.parent / "samconfig.toml"
    parameters = resolve_parameters(template, samconfig, config_env, parameter_overrides)
    s3 = _client("s3", endpoint_url, region)
    layer_folders = layer_content_dirs(template, template_path.parent)
    packaged = package_functions(template, template_path.parent, s3, artifact_bucket(stack_name))
    packaged = _with_dependencies(packaged, dependency_cache(template_path))
    # Packaging pointed each layer's ContentUri at its zip: the translated layer names that zip.
    folder_of_zip = {
        template["Resources"][logical_id]["Properties"]["ContentUri"]: folder
        for logical_id, folder in layer_folders.items()
    }

    def locate_code(translated: dict[str, Any]) -> StackCode:
        layers: dict[str, tuple[Path, ...]] = {
            logical_id: (folder_of_zip[uri],)
            for logical_id, uri in _layer_zips(translated).items()
            if uri in folder_of_zip
        }
        return StackCode(packaged, layers)

    prepared = prepare_stack(
        template,
        parameters,
        template_body=json.dumps(template),
        stack_name=stack_name,
        region=region,
        locate_code=locate_code,
    )
    return create(prepared, endpoint_url=endpoint_url, region=region)


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
    return deploy_template_file(
        template_path,
        stack_name,
        endpoint_url=endpoint_url,
        region=region,
        config_env=config_env,
        parameter_overrides=parameter_overrides,
        samconfig=samconfig,
    ).stack

"""The template's promises, checked on the real SAM translation (offline samtranslator).

Least privilege, encryption at rest, SigV4 on every route, the queue/function timeout rule, data
kept in prod and the Powertools layer of the pinned release are properties of template.yaml; a
regression there should fail a unit test, not a review.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from localcloud.deploy.parameters import resolve_parameters
from localcloud.deploy.policy_attributes import POLICY_ATTRIBUTES, resolve_policy_attributes
from localcloud.deploy.translate import translate
from tests import repository
from tests.repository import REPO_ROOT, TEMPLATE


def _translate(deploy_test_resources: str) -> dict[str, Any]:
    template = copy.deepcopy(repository.template())
    # samtranslator accepts only S3 code locations; `sam package` / the local cloud upload them.
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://code/function.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://code/layer.zip"
    # The local cloud's own translation: what it deploys is what these tests check.
    return translate(template, {"DeployTestResources": deploy_test_resources}, "us-east-1")


@pytest.fixture(scope="module", params=["true", "false"])
def resources(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _translate(request.param)["Resources"]  # type: ignore[no-any-return]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def _statements(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, role in _of_type(resources, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                found.append((f"{name}/{policy['PolicyName']}", statement))
    return found


def test_no_iam_statement_allows_wildcard_actions(resources: dict[str, Any]) -> None:
    statements = _statements(resources)
    assert statements, "expected inline policies from the SAM policy templates"
    for where, statement in statements:
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            assert action != "*" and not action.endswith(":*"), f"{where}: {action}"


def test_every_role_is_assumable_only_by_its_service(resources: dict[str, Any]) -> None:
    for name, role in _of_type(resources, "AWS::IAM::Role").items():
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            assert set(statement["Principal"]) == {"Service"}, name


def test_all_data_at_rest_is_encrypted(resources: dict[str, Any]) -> None:
    for name, queue in _of_type(resources, "AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") or props.get("KmsMasterKeyId"), name
    for name, table in _of_type(resources, "AWS::DynamoDB::Table").items():
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True, name
    for name, stream in _of_type(resources, "AWS::Kinesis::Stream").items():
        assert stream["Properties"]["StreamEncryption"]["EncryptionType"] == "KMS", name


def test_every_api_route_requires_sigv4(resources: dict[str, Any]) -> None:
    (api,) = _of_type(resources, "AWS::ApiGateway::RestApi").values()
    body = api["Properties"]["Body"]
    schemes = body["components"]["securitySchemes"]
    routes = [(p, m, op) for p, ops in body["paths"].items() for m, op in ops.items()]
    assert {(p, m) for p, m, _ in routes} >= {
        ("/inbox", "post"),
        ("/outbox", "get"),
        ("/outbox/acks", "post"),
        ("/outbox/releases", "post"),
    }
    for path, method, operation in routes:
        names = [name for requirement in operation["security"] for name in requirement]
        assert names, f"{method} {path} has no security"
        for name in names:
            assert schemes[name]["x-amazon-apigateway-authtype"] == "awsSigv4", (path, method)


def test_sqs_visibility_timeout_is_at_least_six_function_timeouts(
    resources: dict[str, Any],
) -> None:
    functions = _of_type(resources, "AWS::Lambda::Function")
    queues = _of_type(resources, "AWS::SQS::Queue")
    checked = 0
    for mapping in _of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        source = json.dumps(props["EventSourceArn"])
        queue = next((q for name, q in queues.items() if f'"{name}"' in source), None)
        if queue is None:
            continue
        function = functions[props["FunctionName"]["Ref"]]
        timeout = function["Properties"]["Timeout"]
        assert queue["Properties"]["VisibilityTimeout"] >= 6 * timeout
        checked += 1
    assert checked == 1


def test_queues_that_take_failures_have_dead_letter_queues(resources: dict[str, Any]) -> None:
    queues = _of_type(resources, "AWS::SQS::Queue")
    for name in ("InputQueue", "OutputQueue"):
        redrive = queues[name]["Properties"]["RedrivePolicy"]
        assert redrive["maxReceiveCount"] >= 5, name
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [f"{name}DLQ", "Arn"]}


def test_listener_harness_exists_only_with_test_resources() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        on = _translate("true")
        off = _translate("false")
    # Conditions are kept in the translation; CloudFormation evaluates them at deploy time.
    for template in (on, off):
        assert template["Resources"]["ListenerTable"]["Condition"] == "IsTestResources"
        assert template["Resources"]["ListenerFunction"]["Condition"] == "IsTestResources"
        assert template["Outputs"]["ListenerTableName"]["Condition"] == "IsTestResources"


def test_every_checkov_skip_names_a_check_and_says_why() -> None:
    # The skips are the security review's exceptions: each must be a decision, not a silencer.
    resources = repository.template()["Resources"]
    skips = [
        (name, skip)
        for name, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "expected the template's justified checkov skips"
    for name, skip in skips:
        assert set(skip) == {"id", "comment"}, (name, skip)
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip["id"])
        reason = skip["comment"]
        assert len(reason.split()) >= 8 and "TODO" not in reason.upper(), (name, skip["id"])


def test_every_function_has_the_observability_layer(resources: dict[str, Any]) -> None:
    # Every handler imports lambda_observability: a function without the layer fails at import.
    layers = _of_type(resources, "AWS::Lambda::LayerVersion")
    (layer_id,) = layers
    assert layers[layer_id]["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    functions = _of_type(resources, "AWS::Lambda::Function")
    assert functions
    for name, function in functions.items():
        assert {"Ref": layer_id} in function["Properties"]["Layers"], name


STATEFUL_POLICY = {"Ref": "StatefulResourcePolicy"}


@pytest.mark.slow
def test_every_stateful_resource_has_both_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    # cfn-lint's own list of stateful types (I3011: tables, streams, queues, log groups, ...).
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    matches = lint(
        TEMPLATE.read_text(), config=ManualArgs(include_checks=["I3011"], regions=["us-east-1"])
    )
    assert [(m.rule.id, m.linenumber, m.message) for m in matches if m.rule.id == "I3011"] == []


def test_data_is_kept_or_deleted_by_one_parameter() -> None:
    template = repository.template()
    with_policies = {
        name: {attribute: resource.get(attribute) for attribute in POLICY_ATTRIBUTES}
        for name, resource in template["Resources"].items()
        if set(POLICY_ATTRIBUTES) & set(resource)
    }
    assert set(with_policies) >= {
        "RecordsStream",
        "ProcessedRecordsTable",
        "ListenerTable",
        "RejectedRecordsQueue",
        "RecordProcessorFailureQueue",
        "InputQueue",
        "InputQueueDLQ",
        "OutputQueue",
        "OutputQueueDLQ",
        "ApiAccessLogGroup",
    }
    for name, policies in with_policies.items():
        assert policies == dict.fromkeys(POLICY_ATTRIBUTES, STATEFUL_POLICY), name
    # The Refs are resolved by the LanguageExtensions transform, which must run before SAM's.
    assert template["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


@pytest.mark.parametrize(
    ("config_env", "policy"),
    [("prod", "Retain"), ("default", "Delete"), ("local", "Delete")],
)
def test_prod_retains_data_and_test_stacks_delete_it(config_env: str, policy: str) -> None:
    template = repository.template()
    # A deploy without samconfig keeps the data: deleting must be asked for.
    assert template["Parameters"]["StatefulResourcePolicy"]["Default"] == "Retain"
    parameters = resolve_parameters(template, REPO_ROOT / "samconfig.toml", config_env)
    assert parameters["StatefulResourcePolicy"] == policy
    resolved = resolve_policy_attributes(template, parameters)
    for name in ("ProcessedRecordsTable", "RecordsStream", "InputQueueDLQ"):
        resource = resolved["Resources"][name]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (policy, policy)


def test_powertools_layer_is_the_pinned_release_for_the_functions_runtime() -> None:
    template = repository.template()
    parameter = template["Parameters"]["PowertoolsLayerArn"]
    pins = dict(
        line.split("==", 1)
        for line in (REPO_ROOT / "requirements-dev.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    pinned = pins["aws-lambda-powertools[tracer,parser]"]
    function_globals = template["Globals"]["Function"]
    (architecture,) = function_globals["Architectures"]

    # CloudFormation resolves the public parameter Powertools publishes for each release.
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == (
        f"/aws/service/powertools/python/{architecture}/{function_globals['Runtime']}/{pinned}"
    )
    assert function_globals["Layers"][0] == {"Ref": "PowertoolsLayerArn"}


def test_the_benchmarks_overrides_are_parameters_the_template_declares() -> None:
    # bench.latency deploys with the record processor's batching window at 0; a merge once
    # dropped the parameter, and only `make bench` (not in CI) would have noticed.
    from bench.latency import NO_BATCHING_WINDOW  # noqa: PLC0415 - bench is not a test dependency

    template = repository.template()
    names = {override.split("=", 1)[0] for override in NO_BATCHING_WINDOW}
    assert names <= set(template["Parameters"])
    resolved = resolve_parameters(template, None, "default", NO_BATCHING_WINDOW)
    assert all(resolved[name] == "0" for name in names)

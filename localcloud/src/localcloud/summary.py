"""What ``up`` and ``status`` print: endpoints, outputs, exports, and commands to try.

The commands are derived from the deployed stack as the state file records it (``stack_facts``):
one per event source that triggers a function (a Kinesis stream, a DynamoDB table's stream, an SQS
queue), one per API route (signed with the local credentials), and an invoke of a function. None
names a route, queue or record shape of a particular app.
"""

from __future__ import annotations

import re
from typing import Any

from localcloud.apigw.routes import ANY_METHOD
from localcloud.config import ACCESS_KEY_ID, SECRET_ACCESS_KEY, Endpoints
from localcloud.specs import DeployedStack

# A route per API is enough to show the URL rule; a long list would bury the exports.
ROUTES_SHOWN = 6
_METHODS = ("get", "post", "put", "patch", "delete", "head", ANY_METHOD)
_BODY_METHODS = {"post", "put", "patch", ANY_METHOD}
_PATH_PARAMETER = re.compile(r"\{([^}+]+)\+?\}")
_SAMPLE_JSON = '{"hello": "world"}'


def stack_facts(stack: DeployedStack) -> dict[str, Any]:
    """The parts of the deployed stack the examples need, as JSON for the state file."""
    by_name = {name: spec.logical_id for name, spec in stack.functions.items()}
    return {
        "triggers": [
            {
                "source": mapping.source,
                "arn": mapping.event_source_arn,
                "function": by_name.get(mapping.function_name, mapping.function_name),
            }
            for mapping in stack.event_source_mappings
        ],
        "routes": {
            api.rest_api_id: [
                [method, path]
                for path, item in sorted((api.definition.get("paths") or {}).items())
                if isinstance(item, dict)
                for method in _METHODS
                if method in item
            ]
            for api in stack.rest_apis
        },
    }


def summary(state: dict[str, Any], endpoints: Endpoints) -> str:
    lines = [
        f"Local cloud ready in {state.get('ready_s', 0):.1f} s: stack {state['stack_name']!r} "
        f"on {endpoints.endpoint_url}"
        + (f", API front {endpoints.api_front_url}" if endpoints.api_front_url else ""),
    ]
    if state.get("hot_reload"):
        lines.append("Hot reload: on (a saved CodeUri or ContentUri file reaches the next invoke)")
    if debugger := state.get("debugger"):
        lines.append(
            f"Debugger: {debugger['function']} listens on {debugger['address']} "
            "(attach with debugpy; localcloud/README.md shows VS Code's launch.json)"
        )
    lines += ["", "Outputs:"]
    width = max((len(key) for key in state["outputs"]), default=0)
    lines += [f"  {key.ljust(width)}  {value}" for key, value in sorted(state["outputs"].items())]
    lines += ["", "Use it from a shell:"]
    lines += [f"  export {name}={value}" for name, value in endpoints.client_env().items()]
    lines += ["", "Try:", *(f"  {example}" for example in examples(state, endpoints))]
    return "\n".join(lines)


def examples(state: dict[str, Any], endpoints: Endpoints) -> list[str]:
    found = [f"aws cloudformation describe-stacks --stack-name {state['stack_name']}"]
    seen: set[str] = set()
    for trigger in state.get("triggers", []):
        if trigger["arn"] not in seen:
            seen.add(trigger["arn"])
            found.append(_trigger_example(trigger))
    functions: dict[str, str] = state["functions"]
    if functions:
        logical_id, name = sorted(functions.items())[0]
        found.append(
            f"aws lambda invoke --function-name {name} --payload fileb://event.json /dev/stdout"
        )
        found.append(f"localcloud invoke {logical_id} -e event.json")
    if endpoints.api_front_url:
        found += _route_examples(state, endpoints)
    return found


def _trigger_example(trigger: dict[str, str]) -> str:
    arn, source = trigger["arn"], trigger["source"]
    resource = arn.split(":", 5)[-1]
    via = f"  # triggers {trigger['function']}"
    if source == "sqs":
        # AWS CLI v1 picks SQS's endpoint itself unless --endpoint-url is given: it ignores
        # AWS_ENDPOINT_URL for sqs alone (CLI v2 honours it; the flag works with both).
        sqs = "aws sqs --endpoint-url $AWS_ENDPOINT_URL"
        url = f"$({sqs} get-queue-url --queue-name {resource} --query QueueUrl --output text)"
        return f"{sqs} send-message --queue-url {url} --message-body '{_SAMPLE_JSON}'{via}"
    if source == "kinesis":
        stream = resource.removeprefix("stream/")
        return (
            f"echo '{_SAMPLE_JSON}' > /tmp/record.json && aws kinesis put-record "
            f"--stream-name {stream} --partition-key p1 --data fileb:///tmp/record.json{via}"
        )
    table = resource.removeprefix("table/").split("/stream/", 1)[0]
    return f"aws dynamodb put-item --table-name {table} --item file://item.json{via} (its stream)"


def _route_examples(state: dict[str, Any], endpoints: Endpoints) -> list[str]:
    sign = (
        f'--aws-sigv4 "aws:amz:{endpoints.region}:execute-api" '
        f"--user {ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}"
    )
    routes: dict[str, list[list[str]]] = state.get("routes", {})
    found = []
    for api in state["rest_apis"]:
        base = f"{endpoints.api_front_url}/restapis/{api['id']}/{api['stage']}/_user_request_"
        for method, path in routes.get(api["id"], [])[:ROUTES_SHOWN]:
            url = base + _PATH_PARAMETER.sub(lambda match: match.group(1), path)
            verb = "POST" if method == ANY_METHOD else method.upper()
            body = f" -H 'Content-Type: application/json' -d '{_SAMPLE_JSON}'"
            found.append(f"curl {sign} -X {verb}{body if method in _BODY_METHODS else ''} '{url}'")
    return found

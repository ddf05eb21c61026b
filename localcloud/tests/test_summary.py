"""What `up` suggests to try comes from the deployed stack, whatever the app."""

from __future__ import annotations

from typing import Any

from localcloud.config import Endpoints
from localcloud.summary import examples, summary

ENDPOINTS = Endpoints(
    endpoint_url="http://127.0.0.1:4566",
    api_front_url="http://127.0.0.1:4567",
    region="eu-west-1",
    stack_name="shop",
)


def _state(**facts: Any) -> dict[str, Any]:
    return {
        "stack_name": "shop",
        "outputs": {"OrdersUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/live"},
        "functions": {"ShipFunction": "shop-ShipFunction-1", "AuditFunction": "shop-Audit-2"},
        "rest_apis": [{"id": "abc", "stage": "live"}],
        **facts,
    }


def test_examples_name_the_stacks_own_sources_and_routes() -> None:
    state = _state(
        triggers=[
            {"source": "sqs", "arn": "arn:aws:sqs:eu-west-1:1:orders", "function": "ShipFunction"},
            {"source": "sqs", "arn": "arn:aws:sqs:eu-west-1:1:orders", "function": "AuditFunction"},
            {
                "source": "kinesis",
                "arn": "arn:aws:kinesis:eu-west-1:1:stream/clicks",
                "function": "A",
            },
            {
                "source": "dynamodb",
                "arn": "arn:aws:dynamodb:eu-west-1:1:table/carts/stream/2024-01-01T00:00:00.000",
                "function": "B",
            },
        ],
        routes={"abc": [["get", "/orders/{orderId}"], ["post", "/orders"]]},
    )

    lines = examples(state, ENDPOINTS)

    assert lines[0] == "aws cloudformation describe-stacks --stack-name shop"
    sqs = [line for line in lines if "send-message" in line]
    assert len(sqs) == 1  # one line per source, whichever functions it triggers
    assert "--queue-name orders " in sqs[0]
    assert any("--stream-name clicks " in line for line in lines)
    assert any("aws dynamodb put-item --table-name carts " in line for line in lines)
    base = "http://127.0.0.1:4567/restapis/abc/live/_user_request_"
    assert any(line.endswith(f"-X GET '{base}/orders/orderId'") for line in lines)
    posts = [line for line in lines if f"'{base}/orders'" in line]
    assert len(posts) == 1
    assert "-X POST -H 'Content-Type: application/json' -d " in posts[0]
    assert "aws:amz:eu-west-1:execute-api" in posts[0]
    assert "localcloud invoke AuditFunction -e event.json" in lines


def test_a_stack_without_sources_or_routes_gets_the_generic_examples() -> None:
    text = summary(_state(rest_apis=[]), ENDPOINTS)
    assert "describe-stacks --stack-name shop" in text
    assert "curl" not in text
    assert "send-message" not in text
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:4566" in text

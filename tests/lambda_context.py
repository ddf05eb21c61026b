"""The Lambda context object handed to a handler outside Lambda (unit tests, the benchmark).

Powertools ships only the type (``aws_lambda_powertools.utilities.typing.LambdaContext``); this
holds the attributes its Logger, Metrics and batch utilities read, with Lambda's formats.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LambdaContext:
    function_name: str = "unit-test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:unit-test-function"
    aws_request_id: str = "5b6c3b1e-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/unit-test-function"
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef"
    remaining_time_in_millis: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis

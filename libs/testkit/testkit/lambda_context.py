"""A real Powertools ``LambdaContext`` for calling a handler in a test, as Lambda would."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext


def lambda_context(function_name: str, *, memory_mb: int = 1024) -> LambdaContext:
    """What the handlers and Powertools' logger read of Lambda's context object."""
    context = LambdaContext()
    context._function_name = function_name
    context._memory_limit_in_mb = memory_mb
    context._aws_request_id = "req-1"
    context._invoked_function_arn = (
        f"arn:aws:lambda:us-east-2:123456789012:function:{function_name}"
    )
    return context

"""The structured logger, the CloudWatch embedded-metric-format metrics and the X-Ray tracer,
created once.

All are Powertools utilities configured by environment variables the Lambda construct sets:
``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE`` and ``POWERTOOLS_LOG_LEVEL``.
The functions run with active tracing: Lambda records each invocation, and the tracer adds what
happens inside it, a subsegment per handler and per AWS call (it patches botocore), so a slow
chunk shows which S3 or DynamoDB call it waited on. Outside Lambda (tests, the local emulator's
handler runner: no ``LAMBDA_TASK_ROOT``) Powertools turns the tracer off by itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

DEFAULT_NAMESPACE = "DataPipeline"

logger = Logger()
tracer = Tracer()
# The Lambda construct always sets the namespace; the default keeps local runs and tests
# (which import this before their environment is set) from failing at flush.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE))

Handler = TypeVar("Handler", bound=Callable[..., Any])


def lambda_entry(handler: Handler) -> Handler:
    """A function's Lambda handler: the invocation's context on every log line, its metrics
    flushed when it returns, its work traced. (Powertools' wrappers keep the handler's
    signature; their annotations say ``Callable[..., Any]``.)"""
    traced = tracer.capture_lambda_handler(metrics.log_metrics(handler))
    return logger.inject_lambda_context(traced)  # type: ignore[return-value]


__all__ = ["MetricUnit", "lambda_entry", "logger", "metrics", "tracer"]

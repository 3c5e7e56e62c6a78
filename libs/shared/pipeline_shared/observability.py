"""The structured logger and the CloudWatch embedded-metric-format metrics, created once.

Both are Powertools utilities configured by environment variables the Lambda construct sets:
``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE`` and ``POWERTOOLS_LOG_LEVEL``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

DEFAULT_NAMESPACE = "DataPipeline"

logger = Logger()
# The Lambda construct always sets the namespace; the default keeps local runs and tests
# (which import this before their environment is set) from failing at flush.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE))

Handler = TypeVar("Handler", bound=Callable[..., Any])


def lambda_entry(handler: Handler) -> Handler:
    """A function's Lambda handler: the invocation's context on every log line, its metrics
    flushed when it returns. (Powertools' wrappers keep the handler's signature; their
    annotations say ``Callable[..., Any]``.)"""
    return logger.inject_lambda_context(metrics.log_metrics(handler))  # type: ignore[return-value]


__all__ = ["MetricUnit", "lambda_entry", "logger", "metrics"]

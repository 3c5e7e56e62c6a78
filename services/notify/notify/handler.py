"""Lambda entry point: the run's final state in, the alert to publish out.

The workflow publishes the message with its own SNS integration, so this function needs no
AWS permissions and no network path to SNS (no interface endpoint to pay for).
"""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from notify.messages import compose
from notify.settings import Settings
from pipeline_shared.observability import MetricUnit, lambda_entry, logger, metrics

# Read once per cold start; a bad value fails the first invocation, loudly.
settings = functools.cache(Settings.from_env)


@lambda_entry
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    config = settings()
    message = compose(
        event,
        environment=config.environment,
        quarantine_bucket=config.buckets.quarantine,
        processed_bucket=config.buckets.processed,
    )
    metrics.add_metric(
        name=f"Alerts{message.severity.capitalize()}", unit=MetricUnit.Count, value=1
    )
    logger.info("alert composed", extra={"subject": message.subject, "severity": message.severity})
    return {"subject": message.subject, "body": message.body, "severity": message.severity}

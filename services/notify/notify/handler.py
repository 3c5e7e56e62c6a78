"""Lambda entry point: the run's final state in, the alert to publish out.

The workflow publishes the message with its own SNS integration, so this function needs no
AWS permissions and no network path to SNS (no interface endpoint to pay for).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from notify.messages import compose
from pipeline_shared.config import env_bucket, env_str
from pipeline_shared.observability import MetricUnit, logger, metrics


@dataclass(frozen=True, kw_only=True)
class Settings:
    environment: str
    processed_bucket: str
    quarantine_bucket: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            environment=env_str("PIPELINE_ENV", environ),
            processed_bucket=env_bucket("PROCESSED_BUCKET", environ),
            quarantine_bucket=env_bucket("QUARANTINE_BUCKET", environ),
        )


@functools.cache
def settings() -> Settings:
    """Read once per cold start; a bad value fails the first invocation, loudly."""
    return Settings.from_env()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    config = settings()
    message = compose(
        event,
        environment=config.environment,
        quarantine_bucket=config.quarantine_bucket,
        processed_bucket=config.processed_bucket,
    )
    metrics.add_metric(
        name=f"Alerts{message.severity.capitalize()}", unit=MetricUnit.Count, value=1
    )
    logger.info("alert composed", extra={"subject": message.subject, "severity": message.severity})
    return {"subject": message.subject, "body": message.body, "severity": message.severity}

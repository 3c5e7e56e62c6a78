"""pytest fixtures: the pipeline's AWS resources in moto, in-process, with no network."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pipeline_shared import aws
from testkit.credentials import REGION, aws_credentials
from testkit.tables import create_metadata_table

__all__ = ["REGION", "Resources", "aws_credentials", "inject_errors", "pipeline_aws"]


@dataclass(frozen=True)
class Resources:
    raw_bucket: str = "raw-test-t1"
    processed_bucket: str = "processed-test-t1"
    quarantine_bucket: str = "quarantine-test-t1"
    metadata_table: str = "metadata-test-t1"
    topic_arn: str = ""

    def env(self) -> dict[str, str]:
        return {
            "PROCESSED_BUCKET": self.processed_bucket,
            "QUARANTINE_BUCKET": self.quarantine_bucket,
            "METADATA_TABLE": self.metadata_table,
            "ALERTS_TOPIC_ARN": self.topic_arn,
            "PIPELINE_ENV": "test",
            "POWERTOOLS_METRICS_NAMESPACE": "Pipeline/test",
            "POWERTOOLS_SERVICE_NAME": "pipeline-test",
        }


@pytest.fixture
def pipeline_aws(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    """Buckets, the metadata table and the alerts topic, as the infrastructure creates them."""
    with mock_aws():
        aws.reset_clients()
        s3 = boto3.client("s3", region_name=REGION)
        resources = Resources()
        for bucket in (
            resources.raw_bucket,
            resources.processed_bucket,
            resources.quarantine_bucket,
        ):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
            )
        create_metadata_table(
            boto3.client("dynamodb", region_name=REGION), resources.metadata_table
        )
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="alerts-test-t1")[
            "TopicArn"
        ]
        resources = Resources(topic_arn=topic)
        for name, value in resources.env().items():
            monkeypatch.setenv(name, value)
        yield resources
        aws.reset_clients()


@pytest.fixture
def recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits (botocore's and ours) are recorded instead of slept, so retry tests are
    fast and can assert on the delays."""
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", sleeps.append)
    return sleeps


def inject_errors(
    client: Any,
    operation: str,
    *,
    code: str,
    status: int,
    times: int,
    fields: dict[str, Any] | None = None,
) -> list[int]:
    """Make the next ``times`` calls of ``operation`` on ``client`` fail with ``code`` before
    they reach moto, as AWS would under throttling. ``fields`` adds members to a DynamoDB
    error (e.g. ``CancellationReasons``). Returns the list of injected attempts."""
    from botocore.awsrequest import AWSResponse

    injected: list[int] = []

    class _Raw:
        def __init__(self, body: bytes) -> None:
            self._body = body

        def stream(self, **_: Any) -> Iterator[bytes]:
            yield self._body

    def fail(request: Any, **_: Any) -> AWSResponse | None:
        if len(injected) >= times:
            return None
        injected.append(1)
        if "dynamodb" in request.url:
            error = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}
            body = json.dumps({**error, **(fields or {})}).encode()
            headers = {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.0"}
        else:
            body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
            headers = {"Content-Type": "application/xml"}
        return AWSResponse(request.url, status, headers, _Raw(body))  # type: ignore[arg-type]

    service = client.meta.service_model.service_name
    client.meta.events.register_first(f"before-send.{service}.{operation}", fail)
    return injected

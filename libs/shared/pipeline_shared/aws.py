"""AWS clients configured once per process, with botocore's retry modes.

botocore's ``standard`` mode retries throttling, transient 5xx and connection errors with
exponential backoff and full jitter; ``adaptive`` adds client-side rate limiting. The mode and
attempt count come from ``AWS_RETRY_MODE`` / ``AWS_MAX_ATTEMPTS`` (botocore's own variables),
and ``AWS_ENDPOINT_URL`` points every client at a local emulator without code changes.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from pipeline_shared.config import ConfigError, env_int

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 8


def client_config() -> Config:
    """The botocore configuration every pipeline client uses."""
    mode = os.environ.get("AWS_RETRY_MODE", DEFAULT_RETRY_MODE)
    if mode not in ("legacy", "standard", "adaptive"):
        raise ConfigError(
            f"AWS_RETRY_MODE={mode!r} is not a botocore retry mode: use standard or adaptive."
        )
    retries: Any = {
        "mode": mode,
        "max_attempts": env_int("AWS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, minimum=1, maximum=20),
    }
    return Config(
        retries=retries,
        connect_timeout=5,
        read_timeout=60,
        tcp_keepalive=True,
    )


@functools.cache
def _client(service: str) -> Any:
    return boto3.session.Session().client(service, config=client_config())  # type: ignore[call-overload]


def s3() -> S3Client:
    return _client("s3")  # type: ignore[no-any-return]


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def sns() -> SNSClient:
    return _client("sns")  # type: ignore[no-any-return]


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials between cases)."""
    _client.cache_clear()

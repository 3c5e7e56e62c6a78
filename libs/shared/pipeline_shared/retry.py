"""Application-level retries of transient AWS errors, with exponential backoff and full jitter.

botocore already retries each API call; this covers what it cannot: a conditional write that
lost a race, or a multi-call operation that must restart as a whole. Built on tenacity.
When attempts run out the last error is wrapped in :class:`RetriesExhausted`, whose name is
what the Step Functions ``Catch`` matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "TransactionInProgressException",
        "ServiceUnavailable",
        "InternalError",
        "InternalServerError",
    }
)


class RetriesExhausted(RuntimeError):
    """A transient error persisted through every attempt."""


def is_transient(error: BaseException) -> bool:
    """Throttling, 5xx and connection errors: worth another attempt. So is an error raised
    while handling one (boto3's S3UploadFailedError wraps the ClientError of a failed part)."""
    if isinstance(error, ConnectionError | ReadTimeoutError):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in THROTTLING_CODES or status >= 500
    inner = error.__cause__ or error.__context__
    return inner is not None and is_transient(inner)


def _raise_exhausted(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    raise RetriesExhausted(f"gave up after {state.attempt_number} attempts: {error}") from error


def call_with_backoff(
    operation: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 0.2,
    max_delay: float = 10.0,
    retry_on: Callable[[BaseException], bool] = is_transient,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Run ``operation``; retry errors ``retry_on`` accepts, waiting a random time in
    [0, min(max_delay, base_delay * 2**attempt)] between attempts (AWS's "full jitter")."""
    retrying = Retrying(
        retry=retry_if_exception(retry_on),
        wait=wait_random_exponential(multiplier=base_delay, max=max_delay),
        stop=stop_after_attempt(attempts),
        retry_error_callback=_raise_exhausted,
        reraise=False,
    )
    if sleep is not None:
        retrying.sleep = sleep
    return retrying(operation)

from typing import Any

import pytest
from botocore.exceptions import ClientError

from pipeline_shared.retry import RetriesExhausted, call_with_backoff, is_transient


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutItem")


def test_transient_classification() -> None:
    assert is_transient(_client_error("ThrottlingException", 400))
    assert is_transient(_client_error("SlowDown", 503))
    assert is_transient(_client_error("Whatever", 500))
    assert not is_transient(_client_error("AccessDenied", 403))
    assert not is_transient(ValueError("bad input"))


def test_an_error_raised_while_handling_a_transient_one_is_transient() -> None:
    # As boto3 raises S3UploadFailedError in the except block of a part's ClientError.
    def wrapped(inner: Exception) -> Exception:
        try:
            raise inner
        except ClientError:
            try:
                raise RuntimeError("Failed to upload x to b/x")
            except RuntimeError as outer:
                return outer

    assert is_transient(wrapped(_client_error("SlowDown", 503)))
    assert not is_transient(wrapped(_client_error("AccessDenied", 403)))


def test_retries_transient_errors_with_growing_capped_delays() -> None:
    failures = [_client_error("ThrottlingException", 400)] * 3
    delays: list[float] = []

    def operation() -> str:
        if failures:
            raise failures.pop()
        return "ok"

    result = call_with_backoff(
        operation, attempts=5, base_delay=0.5, max_delay=1.0, sleep=delays.append
    )
    assert result == "ok"
    assert len(delays) == 3
    # Full jitter: each wait is random in [0, min(max_delay, base * 2**n)].
    assert all(0 <= d <= 1.0 for d in delays)


def test_exhausted_retries_raise_a_named_error_with_the_cause() -> None:
    def operation() -> None:
        raise _client_error("ProvisionedThroughputExceededException", 400)

    with pytest.raises(RetriesExhausted, match="after 3 attempts") as caught:
        call_with_backoff(operation, attempts=3, sleep=lambda _: None)
    assert isinstance(caught.value.__cause__, ClientError)


def test_permanent_errors_are_not_retried() -> None:
    calls = []

    def operation() -> None:
        calls.append(1)
        raise _client_error("AccessDenied", 403)

    with pytest.raises(ClientError):
        call_with_backoff(operation, attempts=5, sleep=lambda _: None)
    assert len(calls) == 1

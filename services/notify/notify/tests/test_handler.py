"""The notify Lambda's output is what the workflow's SNS task publishes: check that shape."""

from __future__ import annotations

import pytest
from testkit.lambda_context import lambda_context

import notify.handler
from notify.tests.test_messages import SUMMARY
from pipeline_shared.config import ConfigError


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_ENV", "test")
    monkeypatch.setenv("PROCESSED_BUCKET", "processed-test-t1")
    monkeypatch.setenv("QUARANTINE_BUCKET", "quarantine-test-t1")
    notify.handler.settings.cache_clear()


def test_returns_subject_body_and_severity_for_the_publish_task(env: None) -> None:
    result = notify.handler.lambda_handler(SUMMARY, lambda_context("notify-test", memory_mb=256))
    assert set(result) == {"subject", "body", "severity"}
    assert result["severity"] == "warning"
    assert "s3://processed-test-t1/processed/bank/" in result["body"]


def test_missing_configuration_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_ENV", raising=False)
    notify.handler.settings.cache_clear()
    with pytest.raises(ConfigError, match="PIPELINE_ENV is not set"):
        notify.handler.lambda_handler(SUMMARY, lambda_context("notify-test", memory_mb=256))

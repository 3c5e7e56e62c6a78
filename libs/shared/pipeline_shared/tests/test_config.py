import pytest

from pipeline_shared.config import ConfigError, env_bucket, env_int, env_str


def test_env_str_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match="METADATA_TABLE is not set"):
        env_str("METADATA_TABLE", {})


def test_env_str_strips_and_returns_value() -> None:
    assert env_str("X", {"X": "  table-dev-a1 "}) == "table-dev-a1"


def test_env_int_defaults_parses_and_bounds() -> None:
    assert env_int("N", 7, minimum=1, maximum=10, environ={}) == 7
    assert env_int("N", 7, minimum=1, maximum=10, environ={"N": "3"}) == 3
    with pytest.raises(ConfigError, match="N='x' is not an integer"):
        env_int("N", 7, minimum=1, maximum=10, environ={"N": "x"})
    with pytest.raises(ConfigError, match="from 1 to 10"):
        env_int("N", 7, minimum=1, maximum=10, environ={"N": "11"})


def test_env_bucket_rejects_invalid_names() -> None:
    assert env_bucket("B", {"B": "raw-dev-a1"}) == "raw-dev-a1"
    with pytest.raises(ConfigError, match="not a valid S3 bucket name"):
        env_bucket("B", {"B": "Raw_Bucket"})

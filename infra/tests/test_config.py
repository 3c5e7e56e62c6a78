from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.config import ConfigError, load_config
from infra.naming import Naming, NamingError
from infra.tests.conftest import REPO

GOOD = (REPO / "envs" / "dev" / "config.toml").read_text()


def _load(tmp_path: Path, text: str, **kwargs: str) -> object:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path, **kwargs)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "glacier_after_days = 90",
            "glacier_after_days = -1",
            "storage.glacier_after_days: must be a whole number from 30 to 3650 (got -1)",
        ),
        (
            "memory_mb = 3008",
            "memory_mb = 20000",
            "functions.transform.memory_mb: must be a whole number from 128 to 10240",
        ),
        (
            'vpc_cidr = "10.40.0.0/20"',
            'vpc_cidr = "10.40.0.0/28"',
            "network.vpc_cidr: must be an IPv4 CIDR of /16 to /22",
        ),
        (
            'availability_zones = ["us-east-2a", "us-east-2b", "us-east-2c"]',
            'availability_zones = ["us-east-2a", "us-east-2b"]',
            "network.availability_zones: must be 3 distinct zones",
        ),
        ('CostCenter = "fin-data-platform"\n', "", "missing required FinOps tag(s) CostCenter"),
        (
            "map_max_concurrency = 10",
            "map_max_concurrency = 10\nmax_concurency = 3",
            "workflow.max_concurency: is not a known setting (typo?)",
        ),
        (
            'suffix = "d01"',
            'suffix = "Has_Caps"',
            "environment suffix 'Has_Caps' must be 1-12 lower-case",
        ),
        ('environment = "dev"', 'environment = "qa"', "environment 'qa' is not one of"),
        (
            "email_subscribers = []",
            'email_subscribers = ["not-an-address"]',
            "'not-an-address' is not an e-mail address",
        ),
    ],
)
def test_bad_values_name_the_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError, match=re.escape(message)):
        _load(tmp_path, GOOD.replace(old, new, 1))


def test_suffix_override_and_finops_tags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_ENV_SUFFIX", "alice")
    config = _load(tmp_path, GOOD)
    assert config.suffix == "alice"  # type: ignore[attr-defined]
    assert _load(tmp_path, GOOD, suffix="bob").suffix == "bob"  # type: ignore[attr-defined]
    assert config.finops_tags["Environment"] == "dev" and config.finops_tags["ManagedBy"] == "cdktf"  # type: ignore[attr-defined]


def test_unreadable_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        _load(tmp_path, "environment = ")


def test_names_follow_the_convention_and_limits() -> None:
    naming = Naming("prod", "p01")
    assert naming.name("txn-raw") == "txn-raw-prod-p01"
    assert naming.ssm_path("data", "raw_bucket_name") == "/pipeline/prod/p01/data/raw_bucket_name"
    with pytest.raises(NamingError, match="over the 63 allowed for s3"):
        Naming("staging", "abcdefghijkl").name("a" * 45)
    with pytest.raises(NamingError, match="lower-case letters"):
        naming.name("Raw_Bucket")

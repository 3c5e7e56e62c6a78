"""Buckets (issue 11, items 3, 8 and 9): created names carry the configured organisation prefix
and pass S3's naming rules; adopted legacy buckets are released on destroy, never deleted (the
one exception to Destroyable); each bucket role has its own storage class."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cdktf import App, Aspects, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

from infra.aspects.rules import Destroyable
from infra.config import DEFAULT_ARCHIVE, ConfigError, load_config
from infra.naming import CREATED_BUCKET_ROLES, ENVIRONMENTS, Naming, NamingError
from infra.tests.conftest import REPO, Synthesized
from tooling.deploy.release import released_addresses

ENVS = pytest.mark.parametrize("env", ENVIRONMENTS)
DEV = (REPO / "envs" / "dev" / "config.toml").read_text()
PROD = (REPO / "envs" / "prod" / "config.toml").read_text()


def _load(tmp_path: Path, text: str, **kwargs: str) -> Any:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path, **kwargs)


def _buckets(s: Synthesized) -> dict[str, dict[str, Any]]:
    """Role -> the aws_s3_bucket body (its construct path is data/<role>/bucket)."""
    return {
        body["//"]["metadata"]["path"].split("/")[1]: body
        for body in s.resources("aws_s3_bucket", "data").values()
    }


@ENVS
def test_the_roles_naming_checks_are_the_buckets_the_stack_creates(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    assert sorted(_buckets(synthesized[env])) == sorted(CREATED_BUCKET_ROLES)


# -- item 8: global bucket names ---------------------------------------------------------------


@ENVS
def test_every_created_bucket_carries_the_prefix_and_legacy_names_are_untouched(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    prefix, tail = s.config.bucket_prefix, f"{env}-{s.config.suffix}"
    assert prefix == "example-fin"
    for role, bucket in _buckets(s).items():
        if role in s.config.existing_buckets:
            assert bucket["bucket"] == s.config.existing_buckets[role]  # as the legacy had it
        else:
            assert bucket["bucket"] == f"{prefix}-txn-{role}-{tail}"
            assert len(bucket["bucket"]) <= 63


def test_prod_keeps_its_legacy_names() -> None:
    config = load_config(REPO / "envs" / "prod" / "config.toml")
    assert config.existing_buckets == {
        "raw": "fin-transactions-raw-prod-use2",
        "processed": "fin-transactions-processed-prod-use2",
    }


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("Example", "must be lower-case letters and digits"),
        ("example.fin", "(no dots)"),
        ("example-", "starting and ending with a letter or digit"),
        ("ex--fin", "single hyphens"),
        ("xn", None),  # fine on its own: 'xn-txn-...' is not the reserved 'xn--'
        ("sthree", "must not start with 'sthree-' (reserved by S3)"),
        ("amzn-s3-demo", "must not start with 'amzn-s3-demo-'"),
    ],
)
def test_the_prefix_follows_s3_naming_rules(
    tmp_path: Path, prefix: str, message: str | None
) -> None:
    text = DEV.replace('bucket_prefix = "example-fin"', f'bucket_prefix = "{prefix}"', 1)
    if message is None:
        assert _load(tmp_path, text).naming.bucket("raw") == f"{prefix}-txn-raw-dev-d01"
        return
    with pytest.raises(ConfigError, match=r"naming\.bucket_prefix: .*" + re.escape(message)):
        _load(tmp_path, text)


def test_the_longest_created_name_must_fit_63_characters(tmp_path: Path) -> None:
    # '-txn-query-results-staging-<12>' is the longest a stack makes: 39 characters, 24 left
    fits = Naming("staging", "abcdefghijkl", "a" * 24)
    assert len(fits.bucket("query-results")) == 63
    with pytest.raises(NamingError, match="is 64 characters; S3 allows 3 to 63"):
        Naming("staging", "abcdefghijkl", "a" * 25)
    text = DEV.replace('bucket_prefix = "example-fin"', f'bucket_prefix = "{"b" * 38}"', 1)
    with pytest.raises(
        ConfigError,
        match=r"naming\.bucket_prefix: bucket name 'b{38}-txn-query-results-dev-d01' is 64 characters",
    ):
        _load(tmp_path, text)
    loaded = _load(tmp_path, text.replace("b" * 38, "b" * 37))
    assert len(loaded.naming.bucket("query-results")) == 63


def test_a_missing_prefix_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"naming\.bucket_prefix: is required"):
        _load(tmp_path, DEV.replace('bucket_prefix = "example-fin"\n', "", 1))
    with pytest.raises(NamingError, match="set naming.bucket_prefix"):
        Naming("dev", "d01").bucket("raw")


def test_existing_bucket_names_are_checked_against_s3_rules(tmp_path: Path) -> None:
    text = PROD.replace('"fin-transactions-raw-prod-use2"', '"fin..raw"', 1)
    with pytest.raises(ConfigError, match="existing_buckets.raw: 'fin..raw' must not contain two"):
        _load(tmp_path, text)


# -- item 3: adopted buckets are released on destroy, never deleted -----------------------------


def test_adopted_buckets_are_never_force_destroyed_and_refuse_a_destroying_plan(
    prod: Synthesized,
) -> None:
    buckets = _buckets(prod)
    for role in ("raw", "processed"):  # adopted
        assert buckets[role]["force_destroy"] is False
        assert buckets[role]["lifecycle"] == {"prevent_destroy": True}
    for role in ("quarantine", "artifacts"):  # created: destroyable as ever
        assert buckets[role]["force_destroy"] is True
        assert "lifecycle" not in buckets[role]


def test_adopted_buckets_their_configuration_and_the_key_are_released(prod: Synthesized) -> None:
    data = prod.stacks["data"]
    released = data["//"]["released_on_destroy"]
    assert released == released_addresses(prod.out / "stacks" / "data")
    by_type: dict[str, list[str]] = {}
    for address in released:
        kind, name = address.split(".")
        assert name in data["resource"][kind], address  # each is a real address of the stack
        by_type.setdefault(kind, []).append(name)
    # both adopted buckets with every piece of their configuration; nothing of the created ones
    assert sorted(by_type["aws_s3_bucket"]) == sorted(
        name
        for name, body in data["resource"]["aws_s3_bucket"].items()
        if body["bucket"] in prod.config.existing_buckets.values()
    )
    for kind, names in by_type.items():
        if kind.startswith("aws_s3_bucket"):
            assert all(n.startswith(("raw_", "processed_")) for n in names), (kind, names)
    assert len(by_type["aws_s3_bucket_policy"]) == 2
    assert len(by_type["aws_s3_bucket_notification"]) == 1  # the raw bucket's EventBridge
    # the key the pipeline encrypted their objects with: destroying it would lose them
    assert by_type["aws_kms_key"] == list(data["resource"]["aws_kms_key"])
    assert "aws_kms_alias" not in by_type  # a redeploy creates the alias again


@pytest.mark.parametrize("env", ["local", "dev", "staging"])
def test_environments_without_adopted_buckets_release_nothing(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    assert "released_on_destroy" not in synthesized[env].stacks["data"].get("//", {})
    assert released_addresses(synthesized[env].out / "stacks" / "data") == []


def test_a_copy_under_another_suffix_refuses_existing_buckets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _load(tmp_path, PROD).suffix == "p01"
    assert _load(tmp_path, PROD, suffix="p01").suffix == "p01"  # its own suffix, given again
    message = (
        r"storage\.existing_buckets: this environment adopts existing buckets "
        r"\(fin-transactions-processed-prod-use2, fin-transactions-raw-prod-use2\), which only "
        r"its own suffix 'p01' may manage; suffix 'alice'"
    )
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, PROD, suffix="alice")
    monkeypatch.setenv("PIPELINE_ENV_SUFFIX", "bob")
    with pytest.raises(ConfigError, match="suffix 'bob' .*second Terraform state"):
        _load(tmp_path, PROD)
    assert _load(tmp_path, DEV).suffix == "bob"  # no existing buckets: copies are fine


def _synth(tmp_path: Path, aspect: Destroyable, **bucket: Any) -> None:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "s")
    AwsProvider(stack, "aws", region="us-east-2")
    S3Bucket(stack, "b", **bucket)
    Aspects.of(stack).add(aspect)
    app.synth()


KEEP = TerraformResourceLifecycle(prevent_destroy=True)


def test_destroyable_still_requires_force_destroy_of_a_created_bucket(tmp_path: Path) -> None:
    aspect = Destroyable(adopted_bucket_names=["legacy-raw"])
    with pytest.raises(RuntimeError, match=r"\[destroyable\] .*force_destroy must be true"):
        _synth(tmp_path, aspect, bucket="b-dev-a1", force_destroy=False)
    with pytest.raises(RuntimeError, match=r"\[destroyable\] .*prevent_destroy is set"):
        _synth(tmp_path, aspect, bucket="b-dev-a1", force_destroy=True, lifecycle=KEEP)
    _synth(tmp_path, aspect, bucket="b-dev-a1", force_destroy=True)


def test_destroyable_refuses_an_adopted_bucket_that_could_be_deleted(tmp_path: Path) -> None:
    aspect = Destroyable(adopted_bucket_names=["legacy-raw"])
    with pytest.raises(
        RuntimeError, match=r"\[destroyable\] .*an adopted bucket must have force_destroy = false"
    ):
        _synth(tmp_path, aspect, bucket="legacy-raw", force_destroy=True, lifecycle=KEEP)
    with pytest.raises(
        RuntimeError, match=r"\[destroyable\] .*an adopted bucket must have lifecycle.prevent"
    ):
        _synth(tmp_path, aspect, bucket="legacy-raw", force_destroy=False)
    _synth(tmp_path, aspect, bucket="legacy-raw", force_destroy=False, lifecycle=KEEP)
    # without the declaration, the same bucket is an ordinary one again
    with pytest.raises(RuntimeError, match="force_destroy must be true"):
        _synth(tmp_path, Destroyable(), bucket="legacy-raw", force_destroy=False, lifecycle=KEEP)


# -- item 9: a storage class per bucket role ----------------------------------------------------


@ENVS
def test_each_bucket_role_has_its_own_storage_class(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    buckets = {name: role for role, body in _buckets(s).items() for name in [body["bucket"]]}
    transitions = {}
    for lifecycle in s.resources("aws_s3_bucket_lifecycle_configuration", "retention").values():
        role = lifecycle["//"]["metadata"]["path"].split("/")[1]
        (rule,) = lifecycle["rule"]
        transitions[role] = rule["transition"]
        assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
        assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert set(transitions) == set(buckets.values())
    assert transitions == {
        "raw": [{"days": 90, "storage_class": "GLACIER"}],  # re-drive restores it first
        "processed": [{"days": 90, "storage_class": "GLACIER_IR"}],  # queryable
        "quarantine": [{"days": 90, "storage_class": "GLACIER_IR"}],
        "artifacts": [],  # layer zips never leave Standard
        "query-results": [],  # expire after a week instead (query.results_expire_days)
    }
    assert s.config.archive_classes == DEFAULT_ARCHIVE


@pytest.mark.parametrize(
    ("role", "value", "message"),
    [
        ("processed", "GLACIER", "processed: GLACIER archives objects .* Athena and other readers"),
        ("artifacts", "DEEP_ARCHIVE", "artifacts: DEEP_ARCHIVE archives objects .* Lambda reads"),
        ("raw", "GLACIER_FLEXIBLE", "raw: must be one of STANDARD, GLACIER_IR, GLACIER"),
        ("logs", "GLACIER", "logs: not a bucket role"),
    ],
)
def test_archive_classes_are_checked(tmp_path: Path, role: str, value: str, message: str) -> None:
    text = re.sub(rf'(?m)^{role} = "[A-Z_]+"', "", DEV)
    text = text.replace("[storage.archive]\n", f'[storage.archive]\n{role} = "{value}"\n', 1)
    with pytest.raises(ConfigError, match=r"storage\.archive\." + message):
        _load(tmp_path, text)


def test_archive_classes_default_per_role_and_can_be_changed(tmp_path: Path) -> None:
    section = DEV[DEV.index("[storage.archive]") : DEV.index("[table]")]
    assert _load(tmp_path, DEV.replace(section, "")).archive_classes == DEFAULT_ARCHIVE
    changed = DEV.replace('raw = "GLACIER" ', 'raw = "DEEP_ARCHIVE" ', 1).replace(
        'processed = "GLACIER_IR"', 'processed = "STANDARD"', 1
    )
    classes = _load(tmp_path, changed).archive_classes
    assert classes["raw"] == "DEEP_ARCHIVE" and classes["processed"] == "STANDARD"

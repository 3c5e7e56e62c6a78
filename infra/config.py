"""One typed configuration per environment, loaded from ``envs/<env>/config.toml``.

Every value is checked when it is read; a bad one fails synth with the file, the field and what
would be valid. Unknown keys are errors too, so a typo cannot silently fall back to a default.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.naming import (
    CREATED_BUCKET_ROLES,
    DATA_BUCKET_ROLES,
    ENVIRONMENTS,
    Naming,
    NamingError,
    s3_bucket_name_problem,
    validate_suffix,
)

REQUIRED_TAGS = ("CostCenter", "Project", "Environment", "Owner", "DataClassification", "ManagedBy")
SUFFIX_VARIABLE = "PIPELINE_ENV_SUFFIX"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Where each bucket role's objects go after storage.glacier_after_days (storage.archive):
# STANDARD: they stay; GLACIER_IR: Glacier Instant Retrieval, read in milliseconds like Standard;
# GLACIER (Flexible Retrieval) and DEEP_ARCHIVE: archived, readable only after a RestoreObject
# (hours), and skipped by Athena. https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html
ARCHIVE_CLASSES = ("STANDARD", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
INSTANT_CLASSES = ("STANDARD", "GLACIER_IR")
DEFAULT_ARCHIVE = {
    "raw": "GLACIER",  # read again only by a re-drive, which restores it first (tooling/operations/redrive.py)
    "processed": "GLACIER_IR",  # queried (Athena skips archived objects: docs/cost-optimization.md)
    "quarantine": "GLACIER_IR",  # read by people investigating rejected rows
    "artifacts": "STANDARD",  # Lambda reads layer zips whenever a layer version is published
    "query-results": "STANDARD",  # read back at once by Athena and `query`; expires first
}
# Roles whose readers need every object at once: an archived class is refused for them.
INSTANT_ROLES = {
    "processed": "Athena and other readers skip or fail on archived objects",
    "artifacts": "Lambda reads layer zips from it when a layer version is published",
    "query-results": "Athena reads a query's results back from it as soon as the query ends",
}
FUNCTIONS = ("ingest", "transform", "finalize", "notify")
# AWS tag limits (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256
# query.bytes_scanned_cutoff_gb: Athena cancels a query of the workgroup that scans more
# (https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html);
# 1 GB is above the smallest cutoff Athena and the Terraform provider accept (10 MiB), and the
# default, 1 TB, bounds one query at about $5 (us-east-2, $5 per TB scanned).
DEFAULT_BYTES_SCANNED_CUTOFF_GB = 1000
# query.results_expire_days: results are read once, right after the query, and Athena never
# deletes them (same page): the results bucket's lifecycle does.
DEFAULT_RESULTS_EXPIRE_DAYS = 7
# Environments whose deploy and destroy always ask for confirmation (config: protected).
PROTECTED_ALWAYS = ("prod",)


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in botocore's endpoint data (what boto3 and, with the
    same AWS partitions, the Terraform provider can address)."""
    import botocore.loaders

    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(
        region for partition in endpoints["partitions"] for region in partition["regions"]
    )


class ConfigError(ValueError):
    pass


class _Section:
    """Reads one TOML table, remembering which keys were used."""

    def __init__(self, source: str, data: Mapping[str, Any], prefix: str = "") -> None:
        self._source, self._data, self._prefix = source, data, prefix
        self._used: set[str] = set()

    def _fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self._source}: {self._prefix}{key}: {problem}")

    def _get(self, key: str, default: Any) -> Any:
        self._used.add(key)
        if key not in self._data:
            if default is _REQUIRED:
                raise self._fail(key, "is required")
            return default
        return self._data[key]

    def integer(self, key: str, default: Any = None, *, minimum: int, maximum: int) -> int:
        value = self._get(key, _REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self._fail(
                key, f"must be a whole number from {minimum} to {maximum} (got {value!r})"
            )
        return value

    def text(
        self, key: str, default: Any = None, *, pattern: str | None = None, hint: str = ""
    ) -> str:
        value = self._get(key, _REQUIRED if default is None else default)
        if (
            not isinstance(value, str)
            or not value
            or (pattern and not re.fullmatch(pattern, value))
        ):
            raise self._fail(key, f"must be {hint or 'a non-empty string'} (got {value!r})")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, f"must be true or false (got {value!r})")
        return value

    def texts(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self._fail(key, f"must be a list of strings (got {value!r})")
        return list(value)

    def section(self, key: str, *, required: bool = False) -> _Section:
        value = self._get(key, _REQUIRED if required else {})
        if not isinstance(value, Mapping):
            raise self._fail(key, "must be a table")
        return _Section(self._source, value, f"{self._prefix}{key}.")

    def names(self) -> list[str]:
        return list(self._data)

    def done(self) -> None:
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            raise self._fail(unknown[0], "is not a known setting (typo?)")


_REQUIRED = object()


def _archive_classes(source: str, section: _Section) -> dict[str, str]:
    """storage.archive: the storage class each bucket role's objects move to (defaults:
    DEFAULT_ARCHIVE), refusing an archived class where readers need objects at once."""
    classes = dict(DEFAULT_ARCHIVE)
    for role in section.names():
        if role not in CREATED_BUCKET_ROLES:
            raise ConfigError(
                f"{source}: storage.archive.{role}: not a bucket role "
                f"({', '.join(CREATED_BUCKET_ROLES)})"
            )
        value = section.text(role, hint=f"one of {', '.join(ARCHIVE_CLASSES)}")
        if value not in ARCHIVE_CLASSES:
            raise ConfigError(
                f"{source}: storage.archive.{role}: must be one of {', '.join(ARCHIVE_CLASSES)} "
                f"(got {value!r})"
            )
        if role in INSTANT_ROLES and value not in INSTANT_CLASSES:
            raise ConfigError(
                f"{source}: storage.archive.{role}: {value} archives objects (readable only after "
                f"a restore) but {INSTANT_ROLES[role]}: use {' or '.join(INSTANT_CLASSES)}"
            )
        classes[role] = value
    section.done()
    return classes


def _expiry_days(
    source: str, section: _Section, glacier_after_days: int, archive: dict[str, str]
) -> dict[str, int]:
    """storage.expire_after_days: per bucket role, the age at which current objects are
    deleted (an S3 lifecycle expiration); a role not listed keeps its objects."""
    days: dict[str, int] = {}
    for role in section.names():
        if role not in CREATED_BUCKET_ROLES:
            raise ConfigError(
                f"{source}: storage.expire_after_days.{role}: not a bucket role "
                f"({', '.join(CREATED_BUCKET_ROLES)})"
            )
        if role == "artifacts":
            raise ConfigError(
                f"{source}: storage.expire_after_days.{role}: {INSTANT_ROLES[role]}: "
                "its deployment packages must not expire"
            )
        if role == "query-results":
            raise ConfigError(
                f"{source}: storage.expire_after_days.{role}: query results always expire: "
                "set query.results_expire_days"
            )
        value = section.integer(role, minimum=1, maximum=36500)
        if archive.get(role, "STANDARD") != "STANDARD" and value <= glacier_after_days:
            raise ConfigError(
                f"{source}: storage.expire_after_days.{role}: must be more than "
                f"storage.glacier_after_days ({glacier_after_days}), when objects move to "
                f"{archive.get(role)} (got {value})"
            )
        days[role] = value
    section.done()
    return days


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    memory_mb: int
    timeout_s: int
    ephemeral_mb: int = 512
    reserved_concurrency: int = -1


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    environment: str
    suffix: str
    region: str
    tags: dict[str, str]
    vpc_cidr: str
    availability_zones: list[str]
    interface_endpoints: list[str]
    glacier_after_days: int
    archive_classes: dict[str, str]  # bucket role -> storage class after glacier_after_days
    noncurrent_expire_days: int
    abort_multipart_days: int
    log_retention_days: int
    existing_buckets: dict[str, str]
    bucket_prefix: str  # starts every bucket name the stacks create (naming.bucket_prefix)
    pitr_recovery_days: int
    backup_retention_days: int
    aws_backup: bool
    functions: dict[str, FunctionSettings]
    map_max_concurrency: int
    chunk_mb: int
    alarm_emails: list[str]
    alarm_failed_executions: int
    alarm_error_rate_pct: int
    alarm_quarantine_rate_pct: int
    alarm_latency_p95_ms: int
    query_bytes_scanned_cutoff_gb: int = DEFAULT_BYTES_SCANNED_CUTOFF_GB  # Athena, per query
    query_results_expire_days: int = DEFAULT_RESULTS_EXPIRE_DAYS  # the results bucket's objects
    state_bucket: str | None = None  # remote state (S3, native locking); None: local state files
    state_dir: str = "terraform-state"  # where local state files go (set by the synth entrypoint)
    aws_endpoint: str | None = None  # the local emulator, set by the local deploy only
    protected: bool = False  # deploy and destroy ask for confirmation (prod always)
    # bucket role -> days after which current objects expire; a role not listed keeps them
    expire_after_days: dict[str, int] = field(default_factory=dict)
    naming: Naming = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "naming", Naming(self.environment, self.suffix, self.bucket_prefix)
        )

    @property
    def is_emulated(self) -> bool:
        """The local environment: deployed to the emulator on this machine (moto), not to AWS."""
        return self.environment == "local"

    @property
    def local_state_dir(self) -> Path:
        """Where this environment's local Terraform state, deploy record and emulator live
        (relative to the repository root)."""
        return Path(".terraform-state") / f"{self.environment}-{self.suffix}"

    @property
    def finops_tags(self) -> dict[str, str]:
        return {**self.tags, "Environment": self.environment, "ManagedBy": "cdktf"}


def load_config(
    path: Path, *, suffix: str | None = None, aws_endpoint: str | None = None
) -> EnvironmentConfig:
    """Read and check ``path``. The suffix comes from ``suffix`` (CLI), else the
    ``PIPELINE_ENV_SUFFIX`` variable, else the file."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{source}: no such file: each environment needs envs/<env>/config.toml"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a directory, not a TOML file") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{source}: not UTF-8 text (byte {error.start}: {error.object[error.start:error.start + 1]!r}); "
            "save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{source}: cannot be read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    top = _Section(source, data)
    environment = top.text("environment", hint="one of " + ", ".join(ENVIRONMENTS))
    directory = path.parent.name
    if directory in ENVIRONMENTS and directory != environment:
        raise ConfigError(
            f"{source}: environment: says {environment!r} but the file is in envs/{directory}/: "
            f"each environment's config lives in its own directory"
        )
    protected = top.boolean("protected", environment in PROTECTED_ALWAYS)
    if environment in PROTECTED_ALWAYS and not protected:
        raise ConfigError(f"{source}: protected: {environment} is always protected (got false)")
    own_suffix = top.text("suffix") if "suffix" in top.names() else None
    suffix = suffix or os.environ.get(SUFFIX_VARIABLE) or top.text("suffix")
    try:
        validate_suffix(environment, suffix)
    except NamingError as error:
        raise ConfigError(f"{source}: {error}") from None
    region = top.text(
        "region",
        "us-east-2",
        pattern=r"[a-z]{2}(-gov)?-[a-z]+-\d",
        hint="an AWS region such as us-east-2",
    )
    if region not in known_regions():
        raise ConfigError(
            f"{source}: region: {region!r} is not an AWS region botocore knows "
            "(e.g. us-east-2, eu-west-1; a new region needs a newer botocore)"
        )

    tags_section = top.section("tags", required=True)
    tags = {key: tags_section.text(key) for key in tags_section.names()}
    for key, value in tags.items():
        if len(key) > MAX_TAG_KEY:
            raise ConfigError(
                f"{source}: tags.{key[:40]}...: a tag key is at most {MAX_TAG_KEY} characters "
                f"(got {len(key)})"
            )
        if len(value) > MAX_TAG_VALUE:
            raise ConfigError(
                f"{source}: tags.{key}: a tag value is at most {MAX_TAG_VALUE} characters "
                f"(got {len(value)})"
            )
    tags_section.done()
    missing = [t for t in REQUIRED_TAGS if t not in tags and t not in ("Environment", "ManagedBy")]
    if missing:
        raise ConfigError(f"{source}: tags: missing required FinOps tag(s) {', '.join(missing)}")

    network = top.section("network", required=True)
    vpc_cidr = network.text("vpc_cidr", hint="an IPv4 CIDR of /16 to /22")
    try:
        net = ipaddress.ip_network(vpc_cidr)
        if not 16 <= net.prefixlen <= 22:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"{source}: network.vpc_cidr: must be an IPv4 CIDR of /16 to /22 (got {vpc_cidr!r})"
        ) from None
    zones = network.texts("availability_zones")
    if len(zones) != 3 or len(set(zones)) != 3 or not all(z.startswith(region) for z in zones):
        raise ConfigError(
            f"{source}: network.availability_zones: must be 3 distinct zones of {region} (got {zones})"
        )
    endpoints = network.texts("interface_endpoints", [])
    network.done()

    naming_section = top.section("naming", required=True)
    bucket_prefix = naming_section.text(
        "bucket_prefix",
        hint="an element only your organisation uses in S3 bucket names, e.g. 'acme-123456789012'",
    )
    naming_section.done()
    try:
        Naming(environment, suffix, bucket_prefix)  # every created bucket name, S3's rules
    except NamingError as error:
        raise ConfigError(f"{source}: naming.bucket_prefix: {error}") from None

    storage = top.section("storage", required=True)
    glacier = storage.integer("glacier_after_days", 90, minimum=30, maximum=3650)
    archive = _archive_classes(source, storage.section("archive"))
    noncurrent = storage.integer("noncurrent_expire_days", 30, minimum=1, maximum=3650)
    multipart = storage.integer("abort_multipart_days", 7, minimum=1, maximum=365)
    log_retention = storage.integer("log_retention_days", 30, minimum=1, maximum=3653)
    expire = _expiry_days(source, storage.section("expire_after_days"), glacier, archive)
    existing_section = storage.section("existing_buckets")
    existing = {}
    for role in existing_section.names():
        if role not in DATA_BUCKET_ROLES:
            raise ConfigError(
                f"{source}: storage.existing_buckets.{role}: not a bucket role ({', '.join(DATA_BUCKET_ROLES)})"
            )
        existing[role] = existing_section.text(
            role, pattern=BUCKET.pattern, hint="a valid S3 bucket name"
        )
        problem = s3_bucket_name_problem(existing[role])
        if problem:
            raise ConfigError(
                f"{source}: storage.existing_buckets.{role}: {existing[role]!r} {problem}"
            )
    existing_section.done()
    storage.done()
    if existing and suffix != own_suffix:
        # One environment's state adopts these buckets; a copy under another suffix would
        # import the same buckets into a second state (and its destroy would race the first).
        raise ConfigError(
            f"{source}: storage.existing_buckets: this environment adopts existing buckets "
            f"({', '.join(sorted(existing.values()))}), which only its own suffix "
            f"{own_suffix!r} may manage; suffix {suffix!r} (--suffix or {SUFFIX_VARIABLE}) "
            "would import them into a second Terraform state. Make personal copies of an "
            "environment without existing buckets (dev)."
        )

    table = top.section("table", required=True)
    pitr_days = table.integer("pitr_recovery_days", 35, minimum=1, maximum=35)
    backup_days = table.integer("backup_retention_days", 35, minimum=1, maximum=36500)
    aws_backup = table.boolean("aws_backup", True)
    table.done()

    functions_section = top.section("functions", required=True)
    functions = {}
    for name in FUNCTIONS:
        spec = functions_section.section(name, required=True)
        functions[name] = FunctionSettings(
            memory_mb=spec.integer("memory_mb", minimum=128, maximum=10240),
            timeout_s=spec.integer("timeout_s", minimum=3, maximum=900),
            ephemeral_mb=spec.integer("ephemeral_mb", 512, minimum=512, maximum=10240),
            reserved_concurrency=spec.integer("reserved_concurrency", -1, minimum=-1, maximum=1000),
        )
        spec.done()
    functions_section.done()

    workflow = top.section("workflow", required=True)
    concurrency = workflow.integer("map_max_concurrency", 10, minimum=1, maximum=1000)
    chunk_mb = workflow.integer("chunk_mb", 256, minimum=1, maximum=4096)
    workflow.done()

    alarms = top.section("alarms", required=True)
    emails = alarms.texts("email_subscribers", [])
    for email in emails:
        if not EMAIL.match(email):
            raise ConfigError(
                f"{source}: alarms.email_subscribers: {email!r} is not an e-mail address"
            )
    alarm_values = {
        "failed": alarms.integer("failed_executions", 1, minimum=1, maximum=1000),
        "error": alarms.integer("error_rate_pct", 5, minimum=1, maximum=100),
        "quarantine": alarms.integer("quarantine_rate_pct", 5, minimum=1, maximum=100),
        "latency": alarms.integer("latency_p95_ms", 600_000, minimum=1000, maximum=900_000),
    }
    alarms.done()
    query = top.section("query")
    cutoff_gb = query.integer(
        "bytes_scanned_cutoff_gb", DEFAULT_BYTES_SCANNED_CUTOFF_GB, minimum=1, maximum=1_000_000
    )
    results_days = query.integer(
        "results_expire_days", DEFAULT_RESULTS_EXPIRE_DAYS, minimum=1, maximum=3650
    )
    query.done()
    state = top.section("state")
    state_bucket = (
        state.text("bucket", "", pattern=BUCKET.pattern, hint="a valid S3 bucket name")
        if "bucket" in state.names()
        else None
    )
    state.done()
    top.done()
    return EnvironmentConfig(
        environment=environment,
        suffix=suffix,
        region=region,
        tags=tags,
        vpc_cidr=vpc_cidr,
        availability_zones=zones,
        interface_endpoints=endpoints,
        glacier_after_days=glacier,
        archive_classes=archive,
        noncurrent_expire_days=noncurrent,
        abort_multipart_days=multipart,
        log_retention_days=log_retention,
        existing_buckets=existing,
        bucket_prefix=bucket_prefix,
        pitr_recovery_days=pitr_days,
        backup_retention_days=backup_days,
        aws_backup=aws_backup,
        functions=functions,
        map_max_concurrency=concurrency,
        chunk_mb=chunk_mb,
        alarm_emails=emails,
        alarm_failed_executions=alarm_values["failed"],
        alarm_error_rate_pct=alarm_values["error"],
        alarm_quarantine_rate_pct=alarm_values["quarantine"],
        alarm_latency_p95_ms=alarm_values["latency"],
        query_bytes_scanned_cutoff_gb=cutoff_gb,
        query_results_expire_days=results_days,
        state_bucket=state_bucket,
        aws_endpoint=aws_endpoint,
        protected=protected,
        expire_after_days=expire,
    )

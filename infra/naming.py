"""Resource names: ``<resource-type>-<environment>-<suffix>``, checked against AWS limits.

Every name is made here, so a name can never miss the environment suffix, and a suffix that
would make any name illegal fails at configuration time, naming the limit it breaks.

S3 bucket names are global across every AWS account of the partition, so the buckets the stacks
create also start with a configured ``bucket_prefix`` (an element only this organisation uses,
e.g. its short name and the account id): ``<prefix>-txn-<role>-<environment>-<suffix>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ENVIRONMENTS = ("local", "dev", "staging", "prod")
SUFFIX = re.compile(r"^[a-z0-9]{1,12}$")


class BucketRole(StrEnum):
    """Every bucket the data stack creates (infra/stacks/data_stack.py), by what it holds."""

    RAW = "raw"  # the files as they arrive
    PROCESSED = "processed"  # the Parquet the transform writes
    QUARANTINE = "quarantine"  # the rows and files the contract rejects
    ARTIFACTS = "artifacts"  # deployment packages too large for a direct upload (the layer)
    QUERY_RESULTS = (
        "query-results"  # Athena's output per query (expires: query.results_expire_days)
    )


CREATED_BUCKET_ROLES: tuple[BucketRole, ...] = tuple(BucketRole)
# The buckets the pipeline keeps data in: the roles an existing (adopted) bucket can take.
DATA_BUCKET_ROLES = (BucketRole.RAW, BucketRole.PROCESSED, BucketRole.QUARANTINE)
# Lower-case letters, digits and single hyphens, starting and ending with a letter or digit; no
# dots (a dotted name breaks virtual-hosted-style HTTPS, the S3 naming page's best practice).
BUCKET_PREFIX = re.compile(r"^[a-z0-9](?:-?[a-z0-9])*$")

# The tightest limits among the resource types we name (characters of the whole name).
LIMITS = {
    "s3": 63,  # bucket names: lower-case, digits, hyphens
    "iam-role": 64,
    "lambda": 64,
    "sfn": 80,
    "dynamodb": 255,
    "sns": 256,
    "log-group": 512,
    "alarm": 255,
    "dashboard": 255,
    "event-rule": 64,
    "sqs": 80,
    "backup": 50,
    "kms-alias": 256,
    "security-group": 255,
    # CreateWorkGroup Name: [a-zA-Z0-9._-]{1,128}
    # (https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html).
    "athena-workgroup": 128,
}


# Reserved by S3 (bucket naming rules, link below).
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class NamingError(ValueError):
    pass


def s3_bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid general purpose bucket name, or None. The rules of
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"""
    if not 3 <= len(name) <= LIMITS["s3"]:
        return f"is {len(name)} characters; S3 allows 3 to {LIMITS['s3']}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        return (
            "may hold only lower-case letters, digits, '.' and '-', "
            "and must begin and end with a letter or digit"
        )
    if ".." in name:
        return "must not contain two adjacent periods"
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", name):
        return "must not be formatted as an IP address"
    for prefix in RESERVED_BUCKET_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with {prefix!r} (reserved by S3)"
    for suffix in RESERVED_BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with {suffix!r} (reserved by S3)"
    return None


def validate_bucket_prefix(prefix: str) -> None:
    if not BUCKET_PREFIX.match(prefix):
        raise NamingError(
            f"bucket prefix {prefix!r} must be lower-case letters and digits, single hyphens "
            "between them (no dots), starting and ending with a letter or digit"
        )


def validate_suffix(environment: str, suffix: str) -> None:
    if environment not in ENVIRONMENTS:
        raise NamingError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    if not SUFFIX.match(suffix):
        raise NamingError(
            f"environment suffix {suffix!r} must be 1-12 lower-case letters or digits "
            "(it goes into S3 bucket names)"
        )


@dataclass(frozen=True)
class Naming:
    environment: str
    suffix: str
    bucket_prefix: str = ""  # required for bucket names (config: naming.bucket_prefix)

    def __post_init__(self) -> None:
        validate_suffix(self.environment, self.suffix)
        if self.bucket_prefix:
            validate_bucket_prefix(self.bucket_prefix)
            for role in CREATED_BUCKET_ROLES:  # the longest name fails here, not at deploy
                self.bucket(role)

    @property
    def tail(self) -> str:
        """What every name ends with."""
        return f"{self.environment}-{self.suffix}"

    def name(self, resource_type: str, *, kind: str = "s3") -> str:
        """``<resource_type>-<environment>-<suffix>``, valid for AWS resource ``kind``."""
        if not re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", resource_type):
            raise NamingError(
                f"resource type {resource_type!r}: use lower-case letters, digits and '-'"
            )
        name = f"{resource_type}-{self.tail}"
        limit = LIMITS[kind]
        if len(name) > limit:
            raise NamingError(
                f"name {name!r} is {len(name)} characters, over the {limit} allowed for {kind}"
            )
        return name

    def bucket(self, role: str) -> str:
        """``<bucket_prefix>-txn-<role>-<environment>-<suffix>``: a bucket the stacks create,
        checked against S3's naming rules."""
        if not self.bucket_prefix:
            raise NamingError(
                "no bucket prefix: S3 bucket names are global, set naming.bucket_prefix"
            )
        name = f"{self.bucket_prefix}-{self.name(f'txn-{role}')}"
        problem = s3_bucket_name_problem(name)
        if problem:
            raise NamingError(f"bucket name {name!r} {problem}")
        return name

    @property
    def trigger_dead_letter_queue(self) -> str:
        """The queue of the new-file events the workflow's trigger could not deliver: made by
        the pipeline stack, graphed and alarmed by observability, drained by the re-drive."""
        return self.name("trigger-dlq", kind="sqs")

    @property
    def query_database(self) -> str:
        """The Glue database the query tables are in: Athena takes lower case, digits and
        underscores only ("Name databases, tables, and columns",
        https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html)."""
        return "pipeline_" + self.tail.replace("-", "_")

    def ssm_path(self, *parts: str) -> str:
        """Parameter Store path of an exported value: /pipeline/<env>/<suffix>/<parts...>."""
        return "/".join(["", "pipeline", self.environment, self.suffix, *parts])

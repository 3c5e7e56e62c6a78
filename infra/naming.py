"""Resource names: ``<resource-type>-<environment>-<suffix>``, checked against AWS limits.

Every name is made here, so a name can never miss the environment suffix, and a suffix that
would make any name illegal fails at configuration time, naming the limit it breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENVIRONMENTS = ("local", "dev", "staging", "prod")
SUFFIX = re.compile(r"^[a-z0-9]{1,12}$")

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
}


class NamingError(ValueError):
    pass


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

    def __post_init__(self) -> None:
        validate_suffix(self.environment, self.suffix)

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

    def ssm_path(self, *parts: str) -> str:
        """Parameter Store path of an exported value: /pipeline/<env>/<suffix>/<parts...>."""
        return "/".join(["", "pipeline", self.environment, self.suffix, *parts])

"""Typed reads of Lambda configuration from environment variables.

Every setting a function needs is read once, at cold start, and a missing or malformed value
fails the cold start with a message that names the variable and says how to fix it, instead of
surfacing as a KeyError deep inside a handler.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_shared.variables import Variable

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class ConfigError(ValueError):
    """A configuration value is missing or invalid."""


def env_str(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The non-empty value of environment variable ``name``."""
    value = (os.environ if environ is None else environ).get(name, "").strip()
    if not value:
        raise ConfigError(
            f"environment variable {name} is not set: the function's infrastructure "
            f"(infra/constructs/lambda_function.py) must pass it."
        )
    return value


def env_int(
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int,
    environ: Mapping[str, str] | None = None,
) -> int:
    """An integer setting within [minimum, maximum], ``default`` when unset."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} is not an integer.") from None
    if not minimum <= value <= maximum:
        raise ConfigError(
            f"environment variable {name}={value} is out of range: use a value from "
            f"{minimum} to {maximum}."
        )
    return value


def env_bucket(name: str, environ: Mapping[str, str] | None = None) -> str:
    """An S3 bucket name read from ``name``, checked against S3's naming rules."""
    value = env_str(name, environ)
    if not _BUCKET_NAME.match(value):
        raise ConfigError(
            f"environment variable {name}={value!r} is not a valid S3 bucket name "
            "(3-63 characters: lower-case letters, digits, '.' and '-')."
        )
    return value


@dataclass(frozen=True)
class IntSetting:
    """An integer variable with its default and range, stated once: the settings read it, and
    code that runs a function's steps without its environment (transform.local_run) takes the
    default the function runs with."""

    name: Variable
    default: int
    minimum: int
    maximum: int

    def read(self, environ: Mapping[str, str] | None = None) -> int:
        return env_int(
            self.name, self.default, minimum=self.minimum, maximum=self.maximum, environ=environ
        )


@dataclass(frozen=True, kw_only=True)
class OutputBuckets:
    """Where a file's rows go: the valid ones as Parquet (``processed``), the rejected ones
    (``quarantine``)."""

    processed: str
    quarantine: str


def env_buckets(environ: Mapping[str, str] | None = None) -> OutputBuckets:
    """The output buckets, for each function that writes, withdraws or names them."""
    return OutputBuckets(
        processed=env_bucket(Variable.PROCESSED_BUCKET, environ),
        quarantine=env_bucket(Variable.QUARANTINE_BUCKET, environ),
    )

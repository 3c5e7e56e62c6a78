"""Notify configuration, read once at cold start from the function's environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_shared.config import OutputBuckets, env_buckets, env_str
from pipeline_shared.variables import Variable


@dataclass(frozen=True, kw_only=True)
class Settings:
    environment: str
    buckets: OutputBuckets  # named in the message, where a person finds the outputs

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            environment=env_str(Variable.PIPELINE_ENV, environ),
            buckets=env_buckets(environ),
        )

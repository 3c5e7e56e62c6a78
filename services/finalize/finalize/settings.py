"""Finalize configuration, read once at cold start from the function's environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_shared.config import IntSetting, OutputBuckets, env_buckets, env_str
from pipeline_shared.variables import Variable

CROSS_CHUNK_MAX_ROWS = IntSetting(
    Variable.CROSS_CHUNK_MAX_ROWS, 150_000_000, minimum=0, maximum=500_000_000
)
# The largest chunk a regrouping (a guessed cut that was not a record boundary) may make:
# one transform function reads it, within its 15 minutes and its local disk.
MAX_CHUNK_BYTES = IntSetting(Variable.MAX_CHUNK_BYTES, 4 << 30, minimum=1 << 20, maximum=16 << 30)


@dataclass(frozen=True, kw_only=True)
class Settings:
    metadata_table: str
    buckets: OutputBuckets  # cross-chunk duplicates are removed, a failed file's outputs withdrawn
    cross_chunk_max_rows: int
    max_chunk_bytes: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            metadata_table=env_str(Variable.METADATA_TABLE, environ),
            buckets=env_buckets(environ),
            cross_chunk_max_rows=CROSS_CHUNK_MAX_ROWS.read(environ),
            max_chunk_bytes=MAX_CHUNK_BYTES.read(environ),
        )

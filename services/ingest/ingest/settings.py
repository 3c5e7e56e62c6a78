"""Ingest configuration, read once at cold start from the function's environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_shared.config import env_int, env_str


@dataclass(frozen=True, kw_only=True)
class Settings:
    metadata_table: str
    processed_bucket: str | None  # finalize only: where cross-chunk duplicates are removed
    quarantine_bucket: str | None  # finalize only: a failed file's quarantine is withdrawn
    chunk_bytes: int
    cross_chunk_max_rows: int
    max_file_bytes: int
    # The largest chunk a regrouping (a guessed cut that was not a record boundary) may make:
    # one transform function reads it, within its 15 minutes and its local disk.
    max_chunk_bytes: int = 4 << 30
    boundary_window_bytes: int = 64 << 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            metadata_table=env_str("METADATA_TABLE", environ),
            processed_bucket=(os.environ if environ is None else environ).get("PROCESSED_BUCKET")
            or None,
            quarantine_bucket=(os.environ if environ is None else environ).get("QUARANTINE_BUCKET")
            or None,
            cross_chunk_max_rows=env_int(
                "CROSS_CHUNK_MAX_ROWS", 150_000_000, minimum=0, maximum=500_000_000, environ=environ
            ),
            chunk_bytes=env_int(
                "CHUNK_BYTES", 256 << 20, minimum=1 << 20, maximum=4 << 30, environ=environ
            ),
            max_file_bytes=env_int(
                "MAX_FILE_BYTES", 100 << 30, minimum=1 << 20, maximum=5 << 40, environ=environ
            ),
            max_chunk_bytes=env_int(
                "MAX_CHUNK_BYTES", 4 << 30, minimum=1 << 20, maximum=16 << 30, environ=environ
            ),
        )

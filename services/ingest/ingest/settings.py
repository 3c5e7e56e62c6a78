"""Ingest configuration, read once at cold start from the function's environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_shared.config import IntSetting, env_str
from pipeline_shared.variables import Variable

CHUNK_BYTES = IntSetting(Variable.CHUNK_BYTES, 256 << 20, minimum=1 << 20, maximum=4 << 30)
MAX_FILE_BYTES = IntSetting(Variable.MAX_FILE_BYTES, 100 << 30, minimum=1 << 20, maximum=5 << 40)
BOUNDARY_WINDOW_BYTES = 64 << 10


@dataclass(frozen=True, kw_only=True)
class Settings:
    metadata_table: str
    chunk_bytes: int
    max_file_bytes: int
    boundary_window_bytes: int = BOUNDARY_WINDOW_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            metadata_table=env_str(Variable.METADATA_TABLE, environ),
            chunk_bytes=CHUNK_BYTES.read(environ),
            max_file_bytes=MAX_FILE_BYTES.read(environ),
        )

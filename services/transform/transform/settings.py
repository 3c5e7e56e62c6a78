"""Transform configuration, read once at cold start from the function's environment."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_shared.config import ConfigError, env_bucket, env_int, env_str
from transform.engine import Limits

_LIMITS = Limits()  # the defaults


@dataclass(frozen=True, kw_only=True)
class Settings:
    processed_bucket: str
    quarantine_bucket: str
    metadata_table: str
    limits: Limits
    work_dir: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            processed_bucket=env_bucket("PROCESSED_BUCKET", environ),
            quarantine_bucket=env_bucket("QUARANTINE_BUCKET", environ),
            metadata_table=env_str("METADATA_TABLE", environ),
            limits=_limits(environ),
            work_dir=(os.environ if environ is None else environ).get(
                "WORK_DIR", tempfile.gettempdir()
            ),
        )


def _limits(environ: Mapping[str, str] | None) -> Limits:
    try:
        return Limits(
            block_size=env_int(
                "CSV_BLOCK_BYTES",
                _LIMITS.block_size,
                minimum=1 << 20,
                maximum=256 << 20,
                environ=environ,
            ),
            max_record_bytes=env_int(
                "MAX_RECORD_BYTES",
                _LIMITS.max_record_bytes,
                minimum=1 << 10,
                maximum=8 << 20,
                environ=environ,
            ),
            part_bytes=env_int(
                "PART_BYTES",
                _LIMITS.part_bytes,
                minimum=1 << 20,
                maximum=1 << 30,
                environ=environ,
            ),
            workers=env_int(
                "CHECK_WORKERS", _LIMITS.workers, minimum=1, maximum=16, environ=environ
            ),
        )
    except ConfigError:
        raise
    except ValueError as error:  # the settings disagree with each other
        raise ConfigError(
            f"environment variables CSV_BLOCK_BYTES and MAX_RECORD_BYTES: {error}"
        ) from None

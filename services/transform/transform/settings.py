"""Transform configuration, read once at cold start from the function's environment."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_shared.config import ConfigError, IntSetting, OutputBuckets, env_buckets, env_str
from pipeline_shared.variables import Variable
from transform.engine import Limits

_LIMITS = Limits()  # the defaults
_BLOCK_SIZE = IntSetting(
    Variable.CSV_BLOCK_BYTES, _LIMITS.block_size, minimum=1 << 20, maximum=256 << 20
)
_MAX_RECORD_BYTES = IntSetting(
    Variable.MAX_RECORD_BYTES, _LIMITS.max_record_bytes, minimum=1 << 10, maximum=8 << 20
)
_PART_BYTES = IntSetting(Variable.PART_BYTES, _LIMITS.part_bytes, minimum=1 << 20, maximum=1 << 30)
_WORKERS = IntSetting(Variable.CHECK_WORKERS, _LIMITS.workers, minimum=1, maximum=16)


@dataclass(frozen=True, kw_only=True)
class Settings:
    buckets: OutputBuckets
    metadata_table: str
    limits: Limits
    work_dir: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            buckets=env_buckets(environ),
            metadata_table=env_str(Variable.METADATA_TABLE, environ),
            limits=_limits(environ),
            work_dir=(os.environ if environ is None else environ).get(
                Variable.WORK_DIR, tempfile.gettempdir()
            ),
        )


def _limits(environ: Mapping[str, str] | None) -> Limits:
    try:
        return Limits(
            block_size=_BLOCK_SIZE.read(environ),
            max_record_bytes=_MAX_RECORD_BYTES.read(environ),
            part_bytes=_PART_BYTES.read(environ),
            workers=_WORKERS.read(environ),
        )
    except ConfigError:
        raise
    except ValueError as error:  # the settings disagree with each other
        raise ConfigError(
            f"environment variables {_BLOCK_SIZE.name} and {_MAX_RECORD_BYTES.name}: {error}"
        ) from None

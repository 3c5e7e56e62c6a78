"""The environment variables the functions read, named once: the functions' settings
(lambda resolve) read them and the pipeline stack (infra resolve) sets them through these
members, so a misspelt name fails at type-check instead of at a cold start.

:data:`READ_BY` is the contract between the two: for each function, what its ``Settings``
reads. The stack sets each of them but the :data:`TUNABLE` ones, whose defaults fit every
environment (local runs and benchmarks set them). Tests on each side hold its code to it
(tests/settings/test_variables.py, infra/tests/test_stacks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Variable(StrEnum):
    PIPELINE_ENV = "PIPELINE_ENV"
    METADATA_TABLE = "METADATA_TABLE"
    PROCESSED_BUCKET = "PROCESSED_BUCKET"
    QUARANTINE_BUCKET = "QUARANTINE_BUCKET"
    CHUNK_BYTES = "CHUNK_BYTES"
    MAX_FILE_BYTES = "MAX_FILE_BYTES"
    MAX_CHUNK_BYTES = "MAX_CHUNK_BYTES"
    CROSS_CHUNK_MAX_ROWS = "CROSS_CHUNK_MAX_ROWS"
    CSV_BLOCK_BYTES = "CSV_BLOCK_BYTES"
    MAX_RECORD_BYTES = "MAX_RECORD_BYTES"
    PART_BYTES = "PART_BYTES"
    CHECK_WORKERS = "CHECK_WORKERS"
    WORK_DIR = "WORK_DIR"


_TABLE = frozenset({Variable.METADATA_TABLE})
_BUCKETS = frozenset({Variable.PROCESSED_BUCKET, Variable.QUARANTINE_BUCKET})

READ_BY: Mapping[str, frozenset[Variable]] = {
    "ingest": _TABLE | {Variable.CHUNK_BYTES, Variable.MAX_FILE_BYTES},
    "transform": _TABLE
    | _BUCKETS
    | {
        Variable.CSV_BLOCK_BYTES,
        Variable.MAX_RECORD_BYTES,
        Variable.PART_BYTES,
        Variable.CHECK_WORKERS,
        Variable.WORK_DIR,
    },
    "finalize": _TABLE | _BUCKETS | {Variable.CROSS_CHUNK_MAX_ROWS, Variable.MAX_CHUNK_BYTES},
    "notify": _BUCKETS | {Variable.PIPELINE_ENV},
}

TUNABLE = frozenset(
    {
        Variable.MAX_CHUNK_BYTES,
        Variable.CROSS_CHUNK_MAX_ROWS,
        Variable.CSV_BLOCK_BYTES,
        Variable.MAX_RECORD_BYTES,
        Variable.PART_BYTES,
        Variable.WORK_DIR,
    }
)

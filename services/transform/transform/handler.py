"""Lambda entry point: parse the Map item, run the chunk, return its counts to Step Functions."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pipeline_shared.observability import lambda_entry
from transform.chunk_job import run_chunk
from transform.models import ChunkTask
from transform.settings import Settings

# Read once per cold start; a bad value fails the first invocation, loudly.
settings = functools.cache(Settings.from_env)


@lambda_entry
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Counts only: what the chunk published is on its record, where finalize reads it, so the
    Map's state stays small whatever the file (Step Functions' 256 KiB limit)."""
    task = ChunkTask.from_event(event)
    summary = run_chunk(task, settings())
    return {"chunk_index": task.chunk_index, **summary.counts()}

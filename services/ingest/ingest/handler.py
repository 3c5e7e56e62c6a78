"""Lambda entry point: the S3 "Object Created" event in, the plan of the file's chunks out
(or why the file was rejected, or that it is a duplicate)."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from ingest.plan import ingest_object
from ingest.settings import Settings
from pipeline_shared.observability import lambda_entry

# Read once per cold start; a bad value fails the first invocation, loudly.
settings = functools.cache(Settings.from_env)


@lambda_entry
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: the S3 "Object Created" event as EventBridge delivers it."""
    detail = EventBridgeEvent(event).detail
    try:
        bucket, obj = detail["bucket"]["name"], detail["object"]
        key, size, etag = obj["key"], int(obj["size"]), obj.get("etag", "")
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"not an S3 Object Created event (missing {error}): {str(event)[:500]}"
        ) from None
    return ingest_object(bucket=bucket, key=key, size=size, etag=etag, settings=settings())

"""The event EventBridge delivers for a new raw object: what starts a pipeline execution."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any


def object_created_event(
    bucket: str, key: str, head: dict[str, Any], region: str, *, account: str = "123456789012"
) -> dict[str, Any]:
    """An S3 "Object Created" event for ``key`` as it is now (``head``: its HeadObject).
    ``account`` is informative only (ingest does not read it); the default is moto's."""
    etag = str(head["ETag"]).strip('"')
    return {
        "version": "0",
        "id": hashlib.sha256(f"{bucket}/{key}#{etag}".encode()).hexdigest()[:32],
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": key,
                "size": head["ContentLength"],
                "etag": etag,
                "sequencer": "0",
            },
            "reason": "PutObject",
        },
    }


def is_object_created(event: Any) -> bool:
    """Whether ``event`` has what the ingest function reads from an Object Created event."""
    try:
        detail = event["detail"]
        return (
            event.get("detail-type") == "Object Created"
            and isinstance(detail["bucket"]["name"], str)
            and isinstance(detail["object"]["key"], str)
            and isinstance(detail["object"]["etag"], str)
        )
    except (KeyError, TypeError, AttributeError):
        return False

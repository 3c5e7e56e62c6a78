"""Deleting a list of objects: withdrawing a failed run's outputs, wherever that happens."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from pipeline_shared import aws
from pipeline_shared.retry import call_with_backoff

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

BATCH = 1000  # DeleteObjects takes at most 1,000 keys a request


def delete_keys(bucket: str, keys: Iterable[str]) -> int:
    """Delete every key (absent ones count as deleted, as S3 reports them); the count asked
    for. Raises if S3 refuses any, naming how many and the first."""
    unique = sorted(set(keys))
    for start in range(0, len(unique), BATCH):
        batch: list[ObjectIdentifierTypeDef] = [{"Key": k} for k in unique[start : start + BATCH]]
        response = call_with_backoff(
            partial(
                aws.s3().delete_objects, Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
            )
        )
        if response.get("Errors"):
            first = response["Errors"][0]
            raise RuntimeError(
                f"could not delete {len(response['Errors'])} of {len(batch)} objects from "
                f"{bucket}, e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )
    return len(unique)

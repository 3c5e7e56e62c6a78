"""The pipeline's Lambda path in-process against moto, as the state machine runs it: Ingest,
the Map over the chunks, Finalize, and the Regroup loop when a cut was not a record boundary
(infra/constructs/workflow.py)."""

from __future__ import annotations

from typing import Any

import boto3
from testkit.aws import REGION, Resources
from testkit.lambda_context import lambda_context

import finalize.handler
import ingest.handler
import transform.handler
from pipeline_shared.metadata import MetadataTable

_ITEM = ("bucket", "key", "etag", "ingest_id", "source", "header", "compression")


def object_created(res: Resources, key: str, body: bytes) -> dict[str, Any]:
    """Upload ``body`` and the S3 "Object Created" event EventBridge would deliver for it."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=res.raw_bucket, Key=key, Body=body)
    head = s3.head_object(Bucket=res.raw_bucket, Key=key)
    return {
        "version": "0",
        "id": "evt-1",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-05-01T00:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{res.raw_bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": res.raw_bucket},
            "object": {"key": key, "size": head["ContentLength"], "etag": head["ETag"].strip('"')},
        },
    }


def run_workflow(event: dict[str, Any]) -> dict[str, Any]:
    """The summary Describe would get (or the plan, for a rejected or duplicate file)."""
    plan = ingest.handler.lambda_handler(event, lambda_context("fn-test"))
    if plan["status"] != "accepted":
        return dict(plan)
    while True:
        for chunk in plan["chunks"]:
            transform.handler.lambda_handler(
                {**{k: plan[k] for k in _ITEM}, "chunk": chunk}, lambda_context("fn-test")
            )
        summary = dict(finalize.handler.lambda_handler({"plan": plan}, lambda_context("fn-test")))
        if summary["status"] != "RERUN":
            return summary
        plan = summary["plan"]


def published(res: Resources, ingest_id: str) -> tuple[list[str], list[str]]:
    """The Parquet and quarantine keys a run's chunk records list, in chunk order."""
    records = MetadataTable(res.metadata_table).chunks(ingest_id)
    return (
        [str(k) for r in records for k in r.get("outputs") or []],
        [str(k) for r in records for k in r.get("quarantine_outputs") or []],
    )

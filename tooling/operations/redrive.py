"""Start the workflow again for raw files (a run that failed, was stopped, or never started)
and for the events the trigger could not deliver (its dead-letter queue).

EventBridge puts an undelivered event in the dead-letter queue as the message body. SQS's own
redrive only moves messages back to a source queue, which this queue does not have, so each
event starts an execution here, named after its message: a second attempt at the same message
finds that execution instead of starting another. A message is deleted only once its execution
exists; one that holds no Object Created event stays, and is reported.

Ingest registers each file version once, so a file already processed ends as ``duplicate``,
never twice. A file whose execution ended without recording an outcome (stopped by hand, or
timed out) stays ``REGISTERED`` and would be refused the same way: when no running execution
has it, it is first put through the workflow's own failure path (the finalize function marks
it ``FAILED`` and withdraws what its chunks published), then started again.

A raw file older than its bucket's ``glacier_after_days`` may be archived (S3 Glacier Flexible
Retrieval or Deep Archive, or an Intelligent-Tiering archive tier in an adopted bucket): the
workflow could not read it (``InvalidObjectState``). Such a file gets a RestoreObject instead of a
run, and is reported "restore started, re-run after it completes"; a re-run once the restored
copy is there starts the execution (the copy stays ``RESTORE_DAYS``, long enough for the run).
https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infra.config import EnvironmentConfig
from infra.exports import DataExport, PipelineExport
from pipeline_shared.keys import file_key, typed
from tooling.operations.aws import EnvironmentAws
from tooling.operations.events import is_object_created, object_created_event
from tooling.operations.executions import start_execution

RAW_PREFIX = "raw/"
VISIBILITY_S = 300  # a received dead letter stays hidden this long unless deleted
DONE = ("SUCCEEDED", "REJECTED")  # a file version in these states is never processed again
# Storage classes whose objects must be restored before a GET (RestoreObject API reference:
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html).
ARCHIVED_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
RESTORE_TIERS = ("Standard", "Bulk")  # Expedited: not for Deep Archive, and costs the most
RESTORE_DAYS = 7  # how long a restored copy stays readable
# Typical completion, from the RestoreObject reference above.
RESTORE_TIME = {
    ("GLACIER", "Standard"): "3-5 hours",
    ("GLACIER", "Bulk"): "5-12 hours",
    ("DEEP_ARCHIVE", "Standard"): "within 12 hours",
    ("DEEP_ARCHIVE", "Bulk"): "within 48 hours",
}


@dataclass(frozen=True)
class Pipeline:
    """One deployed environment's pieces, from its stacks' exports (docs/operations.md)."""

    s3: Any
    sfn: Any
    dynamodb: Any
    lambda_: Any
    state_machine: str
    raw_bucket: str
    metadata_table: str
    finalize_function: str
    region: str

    @property
    def account(self) -> str:
        """arn:aws:states:<region>:<account>:stateMachine:<name>"""
        return self.state_machine.split(":")[4]

    @classmethod
    def deployed(cls, aws: EnvironmentAws, config: EnvironmentConfig) -> Pipeline:
        exports = aws.deployed_exports(
            config,
            PipelineExport.STATE_MACHINE_ARN,
            DataExport.RAW_BUCKET_NAME,
            DataExport.METADATA_TABLE_NAME,
            PipelineExport.FINALIZE_FUNCTION_NAME,
        )
        return cls(
            s3=aws.client("s3"),
            sfn=aws.client("stepfunctions"),
            dynamodb=aws.client("dynamodb"),
            lambda_=aws.client("lambda"),
            state_machine=exports[PipelineExport.STATE_MACHINE_ARN],
            raw_bucket=exports[DataExport.RAW_BUCKET_NAME],
            metadata_table=exports[DataExport.METADATA_TABLE_NAME],
            finalize_function=exports[PipelineExport.FINALIZE_FUNCTION_NAME],
            region=config.region,
        )


@dataclass(frozen=True)
class Redriven:
    source: str  # the raw key, or the dead letter's message id
    execution_arn: str | None = None
    problem: str | None = None
    note: str = ""
    event: dict[str, Any] | None = None  # what starts (or, in a dry run, would start) the run


def reprocess(
    pipeline: Pipeline,
    keys: Iterable[str],
    *,
    dry_run: bool = False,
    restore_tier: str = "Standard",
) -> list[Redriven]:
    """An execution per key, with the event EventBridge would send for the object now; an
    archived object gets a restore (``restore_tier``) instead, and is reported."""
    if restore_tier not in RESTORE_TIERS:
        raise ValueError(f"restore tier {restore_tier!r} is not one of {', '.join(RESTORE_TIERS)}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    running: dict[tuple[str, str, str], str] | None = None  # read once, when first needed
    results = []
    for key in dict.fromkeys(keys):  # each once, in the order given
        if not key.startswith(RAW_PREFIX):
            problem = (
                f"not under {RAW_PREFIX}: the pipeline takes raw/<source>/<yyyy>/<mm>/<dd>/ keys"
            )
            results.append(Redriven(key, problem=problem))
            continue
        try:
            head = pipeline.s3.head_object(Bucket=pipeline.raw_bucket, Key=key)
        except ClientError as error:
            missing = error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound")
            problem = f"no such object in s3://{pipeline.raw_bucket}" if missing else str(error)
            results.append(Redriven(key, problem=problem))
            continue
        event = object_created_event(
            pipeline.raw_bucket, key, head, pipeline.region, account=pipeline.account
        )
        etag = event["detail"]["object"]["etag"]
        status = _file_status(pipeline, key, etag)
        note = ""
        if status in DONE:
            results.append(Redriven(key, note=f"already {status}: nothing to do"))
            continue
        if status == "REGISTERED":
            if running is None:
                running = _running_files(pipeline)
            execution = running.get((pipeline.raw_bucket, key, etag))
            if execution:
                problem = f"still being processed by {execution.rsplit(':', 1)[-1]}"
                results.append(Redriven(key, problem=problem))
                continue
        archived = _unreadable_until_restored(pipeline, key, head, restore_tier, dry_run)
        if archived:
            results.append(Redriven(key, problem=archived))
            continue
        if status == "REGISTERED":
            note = "its last run ended without an outcome: " + (
                "would be released" if dry_run else "released"
            )
            if not dry_run:
                released = _release(pipeline, event)
                if released:
                    results.append(Redriven(key, problem=released))
                    continue
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        name = f"reprocess-{digest}-{stamp}"
        arn = (
            None if dry_run else start_execution(pipeline.sfn, pipeline.state_machine, name, event)
        )
        results.append(Redriven(key, execution_arn=arn, note=note, event=event))
    return results


def _unreadable_until_restored(
    pipeline: Pipeline, key: str, head: dict[str, Any], tier: str, dry_run: bool
) -> str | None:
    """None when the object can be read now; otherwise starts its restore (unless one runs
    already, or this is a dry run) and says so. HeadObject tells: ``StorageClass`` (absent for
    STANDARD), ``ArchiveStatus`` for Intelligent-Tiering's archive tiers, and ``Restore``:
    ``ongoing-request="true"`` while a restore runs, ``ongoing-request="false",
    expiry-date=...`` once a readable copy exists
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html)."""
    storage_class = str(head.get("StorageClass") or "STANDARD")
    tiering_archive = head.get("ArchiveStatus")  # ARCHIVE_ACCESS | DEEP_ARCHIVE_ACCESS
    if storage_class not in ARCHIVED_CLASSES and not tiering_archive:
        return None
    restore = str(head.get("Restore") or "")
    if 'ongoing-request="false"' in restore:
        return None  # a restored copy is readable until its expiry-date
    where = (
        f"in the Intelligent-Tiering {tiering_archive} tier"
        if tiering_archive
        else f"in {storage_class}"
    )
    typical = RESTORE_TIME.get((storage_class, tier), "hours")
    if 'ongoing-request="true"' in restore:
        return f"archived {where}: a restore is in progress; re-run after it completes"
    if dry_run:
        return f"archived {where}: would start a restore ({tier} tier, typically {typical})"
    request: dict[str, Any] = {"GlacierJobParameters": {"Tier": tier}}
    if not tiering_archive:  # Intelligent-Tiering moves the object back; no copy, no Days
        request["Days"] = RESTORE_DAYS
    try:
        pipeline.s3.restore_object(Bucket=pipeline.raw_bucket, Key=key, RestoreRequest=request)
    except ClientError as error:
        if error.response["Error"]["Code"] == "RestoreAlreadyInProgress":
            return f"archived {where}: a restore is in progress; re-run after it completes"
        return f"archived {where}: could not start a restore: {error}"
    return (
        f"archived {where}: restore started ({tier} tier, typically {typical}), "
        "re-run after it completes"
    )


def _file_status(pipeline: Pipeline, key: str, etag: str) -> str | None:
    item = pipeline.dynamodb.get_item(
        TableName=pipeline.metadata_table,
        Key=typed(file_key(pipeline.raw_bucket, key, etag)),
        ConsistentRead=True,
    ).get("Item")
    return None if item is None else str(item["status"]["S"])


def _running_files(pipeline: Pipeline) -> dict[tuple[str, str, str], str]:
    """(bucket, key, etag) -> the running execution processing that file version."""
    files: dict[tuple[str, str, str], str] = {}
    pages = pipeline.sfn.get_paginator("list_executions").paginate(
        stateMachineArn=pipeline.state_machine, statusFilter="RUNNING"
    )
    for page in pages:
        for execution in page["executions"]:
            arn = execution["executionArn"]
            event = json.loads(
                pipeline.sfn.describe_execution(executionArn=arn).get("input") or "{}"
            )
            if is_object_created(event):
                detail = event["detail"]
                etag = str(detail["object"]["etag"]).strip('"')
                files[(detail["bucket"]["name"], detail["object"]["key"], etag)] = arn
    return files


def _release(pipeline: Pipeline, event: dict[str, Any]) -> str | None:
    """Run the workflow's failure path for the file; what went wrong, or None."""
    failure = {
        "detail": event["detail"],
        "error": {
            "Error": "Released",
            "Cause": "the run ended without recording an outcome (stopped or timed out); "
            "released by redrive",
        },
    }
    response = pipeline.lambda_.invoke(
        FunctionName=pipeline.finalize_function, Payload=json.dumps({"failure": failure}).encode()
    )
    payload = response["Payload"].read().decode(errors="replace")
    if response.get("FunctionError"):
        return f"could not release it: {pipeline.finalize_function} failed: {payload[:500]}"
    result = json.loads(payload or "{}")
    if result.get("status") != "FAILED":
        return f"could not release it: {result.get('reason') or payload[:500]}"
    return None


def redrive_dead_letters(
    *,
    sqs: Any,
    sfn: Any,
    state_machine: str,
    queue_url: str,
    limit: int = 1000,
    dry_run: bool = False,
) -> list[Redriven]:
    """Each dead letter's event starts an execution, then the letter is deleted; at most
    ``limit`` letters. A dry run deletes nothing (the letters reappear after VISIBILITY_S)."""
    results: list[Redriven] = []
    while len(results) < limit:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, limit - len(results)),
            VisibilityTimeout=VISIBILITY_S,
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            results.append(_redrive_one(message, sqs, sfn, state_machine, queue_url, dry_run))
    return results


def _redrive_one(
    message: dict[str, Any],
    sqs: Any,
    sfn: Any,
    state_machine: str,
    queue_url: str,
    dry_run: bool,
) -> Redriven:
    message_id = str(message["MessageId"])
    try:
        event = json.loads(message["Body"])
    except json.JSONDecodeError as error:
        return Redriven(message_id, problem=f"body is not JSON ({error}); left in the queue")
    if not is_object_created(event):
        return Redriven(
            message_id, problem="body is not an S3 Object Created event; left in the queue"
        )
    source = f"{message_id} ({event['detail']['object']['key']})"
    if dry_run:
        return Redriven(source, event=event)
    arn = start_execution(sfn, state_machine, f"redrive-{message_id}", event)
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return Redriven(source, execution_arn=arn, event=event)

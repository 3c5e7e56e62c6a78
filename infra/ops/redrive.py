"""Start the workflow again for raw files (a run that failed, an event that never arrived) and
for the events the trigger could not deliver (its dead-letter queue).

EventBridge puts an undelivered event in the dead-letter queue as the message body. SQS's own
redrive only moves messages back to a source queue, which this queue does not have, so each
event starts an execution here, named after its message: a second attempt at the same message
finds that execution instead of starting another. A message is deleted only once its execution
exists; one that holds no Object Created event stays, and is reported. Ingest registers each
file version once, so a file already processed ends as ``duplicate``, never twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infra.ops.events import is_object_created, object_created_event
from infra.ops.executions import start_execution

RAW_PREFIX = "raw/"
VISIBILITY_S = 300  # a received dead letter stays hidden this long unless deleted


@dataclass(frozen=True)
class Redriven:
    source: str  # the raw key, or the dead letter's message id
    execution_arn: str | None = None
    problem: str | None = None
    event: dict[str, Any] | None = None


def reprocess(
    *,
    s3: Any,
    sfn: Any,
    state_machine: str,
    bucket: str,
    keys: Iterable[str],
    region: str,
    dry_run: bool = False,
) -> list[Redriven]:
    """An execution per key, with the event EventBridge would have sent for it now."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    results = []
    for key in keys:
        if not key.startswith(RAW_PREFIX):
            problem = (
                f"not under {RAW_PREFIX}: the pipeline takes raw/<source>/<yyyy>/<mm>/<dd>/ keys"
            )
            results.append(Redriven(key, problem=problem))
            continue
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            missing = error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound")
            problem = f"no such object in s3://{bucket}" if missing else str(error)
            results.append(Redriven(key, problem=problem))
            continue
        event = object_created_event(bucket, key, head, region)
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        name = f"reprocess-{digest}-{stamp}"
        arn = None if dry_run else start_execution(sfn, state_machine, name, event)
        results.append(Redriven(key, execution_arn=arn, event=event))
    return results


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

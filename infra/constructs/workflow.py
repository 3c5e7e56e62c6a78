"""The pipeline's Step Functions workflow (what starts it: workflow_trigger.py).

    Ingest -> Accepted? -> TransformChunks (Map, bounded) -> Finalize -> ChainProven? -> Describe
                                ^                                        | -> Publish -> Done
                                 \\---- Regroup <- (a cut was not a record boundary)
                       \\-> (rejected | duplicate) -> DescribeSkipped -> PublishSkipped -> Done
    any error -> RecordFailure -> DescribeFailure -> PublishFailure -> Failed
    Publish or PublishSkipped fails -> AlertNotSent (Fail)
    DescribeFailure or PublishFailure fails -> FailedAlertNotSent (Fail)

Lambda tasks retry transient Lambda errors, and the ``RetriesExhausted`` our code raises when
AWS stays throttled, with exponential backoff and full jitter. Anything else is caught, the
file is marked FAILED (so it can be retried) and an alert is published.

A publish that fails after its retries (SNS refuses the message, the topic's key is unusable,
the task times out) is never silent: the execution fails, so ``executions-failed`` fires and
``status`` names it (docs/operations.md). After Publish or PublishSkipped the file's outcome is
already recorded (SUCCEEDED, REJECTED, duplicate) and stays so: the run ends in
``AlertNotSent``, with SNS's error at ``$.alertError``; nothing needs re-driving, only the
message was lost. On the failure path the run ends in ``FailedAlertNotSent`` (error
``PipelineFailed``, as ``Failed``): the file was marked FAILED, but no one was told by SNS.

The execution has a time limit of its own (top-level ``TimeoutSeconds``, see
``execution_timeout_s``): the longest path, every task at its whole timeout once plus its
retries' waits, with the Map over the most chunks a file can have, twice (Regroup sends some
chunks back once). A run past it is hung: it ends ``TIMED_OUT`` and ``executions-timed-out``
fires; its failure path did not run, and ``redrive`` releases and restarts the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.sfn_state_machine import (
    SfnStateMachine,
    SfnStateMachineLoggingConfiguration,
    SfnStateMachineTracingConfiguration,
)
from constructs import Construct

from infra.constructs.asl import (
    LAMBDA_TRANSIENT_ERRORS,
    Choice,
    Fail,
    Map,
    Pass,
    Retry,
    StateMachineDefinition,
    Succeed,
    Task,
)
from infra.constructs.grants import (
    LOG_DELIVERY_ACTIONS,
    TRACE_SAMPLING_ACTIONS,
    TRACE_SEND_ACTIONS,
    Grant,
)
from infra.constructs.lambda_function import PipelineFunction
from infra.constructs.references import TopicRef
from infra.constructs.service_role import ServiceRole, ServiceRoleProps

LAMBDA_RETRY = Retry(
    errors=LAMBDA_TRANSIENT_ERRORS,
    interval_seconds=2,
    max_attempts=6,
    backoff_rate=2.0,
    max_delay_seconds=60,
)
# Our code raises RetriesExhausted after its own backoff: try the whole task again, later.
APP_RETRY = Retry(
    errors=("RetriesExhausted",),
    interval_seconds=15,
    max_attempts=3,
    backoff_rate=3.0,
    max_delay_seconds=300,
)
SNS_RETRY = Retry(
    errors=("SNS.SdkClientException", "SNS.ThrottledException", "SNS.InternalErrorException"),
    max_attempts=5,
)
# A Lambda task's own limit beyond its function's timeout (the invoke's round trip).
LAMBDA_TASK_MARGIN_S = 30
# An SNS publish is one API call: without a TimeoutSeconds a Task waits up to a year.
PUBLISH_TIMEOUT_S = 60

# The largest file ingest accepts; it is set on the ingest function (MAX_FILE_BYTES), so the
# bound below and what ingest enforces are one number (docs/data-contract.md, "Size").
MAX_FILE_BYTES = 100 << 30
# Finalize regroups a file's chunks at most once (finalize/run.py, MAX_REGROUPS = 1), so the
# Map runs at most twice: TransformChunks, then Regroup -> TransformChunks.
MAP_PASSES = 2
# Step Functions service quotas, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html:
# a Standard execution keeps at most 25,000 history events and runs at most one year.
HISTORY_EVENTS = 25_000
MAX_EXECUTION_S = 365 * 24 * 3600
# The history events of one inline Map iteration of a Lambda task that succeeds first time:
# MapIterationStarted, TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded,
# TaskStateExited, MapIterationSucceeded.
EVENTS_PER_CHUNK = 7


def chunk_count_bound(chunk_bytes: int, *, max_file_bytes: int = MAX_FILE_BYTES) -> int:
    """The most chunks one pass of the Map can have: ingest's cuts are at least
    ``chunk_bytes`` apart (ingest/chunking.py), a regrouped pass has fewer (merged) chunks, and
    an execution cannot hold more Map iterations than its history quota allows, whatever the
    file size (1 MiB chunks, the local environment's)."""
    by_size = -(-max_file_bytes // chunk_bytes)
    by_history = HISTORY_EVENTS // (MAP_PASSES * EVENTS_PER_CHUNK)
    return max(1, min(by_size, by_history))


def map_waves(chunks: int, max_concurrency: int) -> int:
    """How many chunk-lengths one Map pass can take: the Map starts a chunk whenever a slot is
    free, so every slot is busy until the last chunk starts, which is at most
    ``(chunks - 1) / max_concurrency`` chunk-lengths in, and it runs one more."""
    return -(-(chunks - 1) // max_concurrency) + 1


@dataclass(frozen=True, kw_only=True)
class WorkflowFunctions:
    ingest: PipelineFunction
    transform: PipelineFunction
    finalize: PipelineFunction
    notify: PipelineFunction

    def all(self) -> tuple[PipelineFunction, ...]:
        """Every function the workflow invokes."""
        return tuple(getattr(self, f.name) for f in fields(self))


def build_definition(
    fns: WorkflowFunctions, *, topic_arn: str, max_concurrency: int, max_chunks: int
) -> StateMachineDefinition:
    """The ASL of the pipeline (a pure function: tests render and read it). ``max_chunks``: the
    most chunks one Map pass can have (``chunk_count_bound``), for the execution's time limit."""

    def lambda_task(name: str, fn: PipelineFunction, payload: Any, result_path: str) -> Task:
        task = Task.invoke_lambda(
            name,
            function_arn=fn.arn,
            payload=payload,
            result_path=result_path,
            timeout_seconds=fn.timeout_s + LAMBDA_TASK_MARGIN_S,
        )
        task.add_retry(LAMBDA_RETRY).add_retry(APP_RETRY)
        return task

    def publish(name: str) -> Task:
        task = Task(
            name,
            resource="arn:aws:states:::sns:publish",
            parameters={
                "TopicArn": topic_arn,
                "Subject.$": "$.message.value.subject",
                "Message.$": "$.message.value.body",
                "MessageAttributes": {
                    "severity": {"DataType": "String", "StringValue.$": "$.message.value.severity"}
                },
            },
            result_path="$.published",
            timeout_seconds=PUBLISH_TIMEOUT_S,
        )
        task.add_retry(SNS_RETRY)
        return task

    failed = Fail(
        "Failed", error="PipelineFailed", cause="See the RecordFailure input and the alert sent"
    )
    # A message that could not be composed or published fails the run, so the
    # executions-failed alarm fires (see the module docstring).
    failed_unannounced = Fail(
        "FailedAlertNotSent",
        error="PipelineFailed",
        cause="The file was marked FAILED (see the RecordFailure input), but its alert could "
        "not be composed or published: the error is at $.alertError",
    )
    alert_not_sent = Fail(
        "AlertNotSent",
        error="AlertNotSent",
        cause="The file's outcome is recorded; only its SNS message failed, the error is at "
        "$.alertError. Nothing to re-drive: fix the cause (docs/operations.md)",
    )
    # The failure path gets the whole state: the trigger event, the plan if ingest made one,
    # and the caught error at $.error.
    record_failure = lambda_task("RecordFailure", fns.finalize, {"failure.$": "$"}, "$.recorded")
    describe_failure = lambda_task(
        "DescribeFailure",
        fns.notify,
        {"failure.$": "$", "execution.$": "$$.Execution.Id"},
        "$.message",
    )
    # Alerting must not hide the failure: if recording fails, still describe and publish.
    record_failure.add_catch(describe_failure, result_path="$.recordError")
    record_failure.next(describe_failure)
    publish_failure = publish("PublishFailure")
    describe_failure.add_catch(failed_unannounced, result_path="$.alertError")
    publish_failure.add_catch(failed_unannounced, result_path="$.alertError")
    describe_failure.next(publish_failure).next(failed)

    ingest = lambda_task("Ingest", fns.ingest, "$", "$.plan")
    transform = lambda_task("Transform", fns.transform, "$", "$")
    chunks = Map(
        "TransformChunks",
        items_path="$.plan.value.chunks",
        item_selector={
            "bucket.$": "$.plan.value.bucket",
            "key.$": "$.plan.value.key",
            "etag.$": "$.plan.value.etag",
            "ingest_id.$": "$.plan.value.ingest_id",
            "source.$": "$.plan.value.source",
            "header.$": "$.plan.value.header",
            "compression.$": "$.plan.value.compression",
            "chunk.$": "$$.Map.Item.Value",
        },
        iterator=transform,
        max_concurrency=max_concurrency,
        # The chunks' records hold what they did; their counts would only grow the state.
        result_path=None,
    )
    finalize = lambda_task("Finalize", fns.finalize, {"plan.$": "$.plan.value"}, "$.summary")
    describe = lambda_task("Describe", fns.notify, "$.summary.value", "$.message")
    # Finalize's chain check found a guessed cut that was not a record boundary: read the
    # chunks around it again, as one, then finalize again (docs/data-contract.md).
    regroup = Pass("Regroup", parameters={"value.$": "$.summary.value.plan"}, result_path="$.plan")
    regroup.next(chunks)
    chain_proven = (
        Choice("ChainProven?")
        .when({"Variable": "$.summary.value.status", "StringEquals": "RERUN"}, regroup)
        .otherwise(describe)
    )
    describe_skipped = lambda_task("DescribeSkipped", fns.notify, "$.plan.value", "$.message")
    done = Succeed("Done")
    for state in (ingest, chunks, finalize, describe, describe_skipped):
        state.add_catch(record_failure)
    accepted = (
        Choice("Accepted?")
        .when({"Variable": "$.plan.value.status", "StringEquals": "accepted"}, chunks)
        .otherwise(describe_skipped)
    )
    ingest.next(accepted)
    chunks.next(finalize).next(chain_proven)
    publish_outcome, publish_skipped = publish("Publish"), publish("PublishSkipped")
    for task in (publish_outcome, publish_skipped):
        task.add_catch(alert_not_sent, result_path="$.alertError")
    describe.next(publish_outcome).next(done)
    describe_skipped.next(publish_skipped).next(done)
    return StateMachineDefinition(
        ingest,
        comment="Transaction file pipeline: ingest, transform chunks, finalize, alert",
        timeout_seconds=execution_timeout_s(
            ingest=ingest,
            transform=transform,
            finalize=finalize,
            tail=(describe, record_failure, describe_failure, publish_failure),
            max_chunks=max_chunks,
            max_concurrency=max_concurrency,
        ),
    )


def execution_timeout_s(
    *,
    ingest: Task,
    transform: Task,
    finalize: Task,
    tail: tuple[Task, ...],
    max_chunks: int,
    max_concurrency: int,
) -> int:
    """The execution's ``TimeoutSeconds``: the longest path a run can take without anything
    hanging, each task at ``Task.longest_s`` (its whole timeout once, plus its retries' waits):
    Ingest, then ``MAP_PASSES`` times the Map over ``max_chunks`` (``map_waves`` chunk-lengths)
    and Finalize, then the longest ending, ``tail``: Describe failing at its timeout, and the
    failure path after it (RecordFailure, DescribeFailure, PublishFailure), which outlasts
    Describe -> Publish. Raises if that passes Step Functions' one-year limit."""
    one_pass = map_waves(max_chunks, max_concurrency) * transform.longest_s() + finalize.longest_s()
    total = ingest.longest_s() + MAP_PASSES * one_pass + sum(task.longest_s() for task in tail)
    if total > MAX_EXECUTION_S:
        raise ValueError(
            f"the workflow could run {total} s, past Step Functions' {MAX_EXECUTION_S} s: "
            "raise workflow.chunk_mb or workflow.map_max_concurrency"
        )
    return total


@dataclass(frozen=True, kw_only=True)
class WorkflowProps:
    name: str
    """The state machine's name (its log group is named after it)."""
    role_name: str
    functions: WorkflowFunctions
    topic: TopicRef
    """Where the outcome of each file is published."""
    max_concurrency: int
    """Chunks transformed at once (the Map state's MaxConcurrency)."""
    chunk_bytes: int
    """What ingest cuts files into (CHUNK_BYTES): bounds the chunks, so the time limit."""
    log_retention_days: int
    log_key_arn: str


class PipelineWorkflow(Construct):
    state_machine: SfnStateMachine

    def __init__(self, scope: Construct, id: str, *, props: WorkflowProps) -> None:
        super().__init__(scope, id)
        log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=f"/aws/vendedlogs/states/{props.name}",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.log_key_arn,
        )
        role = ServiceRole(
            self,
            "role",
            props=ServiceRoleProps(
                name=props.role_name,
                service="states.amazonaws.com",
                description=f"Runs the {props.name} state machine",
                grants=[
                    *(fn.grant_invoke() for fn in props.functions.all()),
                    props.topic.grant_publish(),
                    Grant.of("deliver execution logs", LOG_DELIVERY_ACTIONS, ["*"]),
                    Grant.of("send traces", [*TRACE_SEND_ACTIONS, *TRACE_SAMPLING_ACTIONS], ["*"]),
                ],
            ),
        )
        definition = build_definition(
            props.functions,
            topic_arn=props.topic.arn,
            max_concurrency=props.max_concurrency,
            max_chunks=chunk_count_bound(props.chunk_bytes),
        )
        self.state_machine = SfnStateMachine(
            self,
            "state-machine",
            name=props.name,
            role_arn=role.arn,
            definition=json.dumps(definition.render()),
            logging_configuration=SfnStateMachineLoggingConfiguration(
                log_destination=f"{log_group.arn}:*", include_execution_data=True, level="ALL"
            ),
            tracing_configuration=SfnStateMachineTracingConfiguration(enabled=True),
            # CreateStateMachine checks log delivery with the role's permissions at once
            # (infra/constructs/service_role.py).
            depends_on=list(role.policies),
        )

    @property
    def arn(self) -> str:
        return str(self.state_machine.arn)

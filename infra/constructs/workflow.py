"""The pipeline's Step Functions workflow and the EventBridge rule that starts it.

    Ingest -> Accepted? -> TransformChunks (Map, bounded) -> Finalize -> ChainProven? -> Describe
                                ^                                        | -> Publish
                                 \\---- Regroup <- (a cut was not a record boundary)
                       \\-> (rejected | duplicate) -> Describe -> Publish
    any error -> RecordFailure -> DescribeFailure -> PublishFailure -> Failed

Lambda tasks retry transient Lambda errors, and the ``RetriesExhausted`` our code raises when
AWS stays throttled, with exponential backoff and full jitter. Anything else is caught, the
file is marked FAILED (so it can be retried) and an alert is published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.sfn_state_machine import (
    SfnStateMachine,
    SfnStateMachineLoggingConfiguration,
    SfnStateMachineTracingConfiguration,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
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
from infra.constructs.grants import LOG_DELIVERY_ACTIONS, Grant
from infra.constructs.lambda_function import PipelineFunction
from infra.constructs.references import TopicRef
from infra.constructs.service_role import ServiceRole
from infra.naming import Naming

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


@dataclass(frozen=True, kw_only=True)
class WorkflowFunctions:
    ingest: PipelineFunction
    transform: PipelineFunction
    finalize: PipelineFunction
    notify: PipelineFunction


def build_definition(
    fns: WorkflowFunctions, *, topic_arn: str, max_concurrency: int
) -> StateMachineDefinition:
    """The ASL of the pipeline (a pure function: tests render and read it)."""

    def lambda_task(name: str, fn: PipelineFunction, payload: Any, result_path: str) -> Task:
        task = Task.invoke_lambda(
            name,
            function_arn=fn.arn,
            payload=payload,
            result_path=result_path,
            timeout_seconds=fn.timeout_s + 30,
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
        )
        task.add_retry(SNS_RETRY)
        return task

    failed = Fail(
        "Failed", error="PipelineFailed", cause="See the RecordFailure input and the alert sent"
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
    describe_failure.add_catch(failed, result_path="$.alertError")
    publish_failure.add_catch(failed, result_path="$.alertError")
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
    describe.next(publish("Publish")).next(done)
    describe_skipped.next(publish("PublishSkipped")).next(done)
    return StateMachineDefinition(
        ingest, comment="Transaction file pipeline: ingest, transform chunks, finalize, alert"
    )


class PipelineWorkflow(Construct):
    state_machine: SfnStateMachine

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        naming: Naming,
        functions: WorkflowFunctions,
        topic: TopicRef,
        raw_bucket_name: str,
        max_concurrency: int,
        log_retention_days: int,
        log_key_arn: str,
    ) -> None:
        super().__init__(scope, id)
        name = naming.name("pipeline", kind="sfn")
        log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=f"/aws/vendedlogs/states/{name}",
            retention_in_days=log_retention_days,
            kms_key_id=log_key_arn,
        )
        role = ServiceRole(
            self,
            "role",
            name=naming.name("pipeline-sfn-role", kind="iam-role"),
            service="states.amazonaws.com",
            description=f"Runs the {name} state machine",
            grants=[
                *(
                    fn.grant_invoke()
                    for fn in (
                        functions.ingest,
                        functions.transform,
                        functions.finalize,
                        functions.notify,
                    )
                ),
                topic.grant_publish(),
                Grant.of("deliver execution logs", LOG_DELIVERY_ACTIONS, ["*"]),
                Grant.of(
                    "send traces",
                    [
                        "xray:PutTraceSegments",
                        "xray:PutTelemetryRecords",
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                    ],
                    ["*"],
                ),
            ],
        )
        definition = build_definition(
            functions, topic_arn=topic.arn, max_concurrency=max_concurrency
        )
        self.state_machine = SfnStateMachine(
            self,
            "state-machine",
            name=name,
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
        self._trigger(naming, raw_bucket_name)

    def _trigger(self, naming: Naming, raw_bucket_name: str) -> None:
        """New objects under raw/ in the raw bucket start an execution; undeliverable events
        go to a dead-letter queue instead of vanishing."""
        rule = CloudwatchEventRule(
            self,
            "on-raw-object",
            name=naming.name("raw-object-created", kind="event-rule"),
            description="A new raw transaction file",
            event_pattern=json.dumps(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": [raw_bucket_name]},
                        "object": {"key": [{"prefix": "raw/"}]},
                    },
                }
            ),
        )
        dlq = SqsQueue(
            self,
            "trigger-dlq",
            name=naming.name("trigger-dlq", kind="sqs"),
            message_retention_seconds=1_209_600,
            sqs_managed_sse_enabled=True,
        )
        SqsQueuePolicy(
            self,
            "trigger-dlq-policy",
            queue_url=dlq.url,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": dlq.arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": rule.arn}},
                        }
                    ],
                }
            ),
        )
        events_role = ServiceRole(
            self,
            "events-role",
            name=naming.name("pipeline-events-role", kind="iam-role"),
            service="events.amazonaws.com",
            description="Lets EventBridge start pipeline executions",
            grants=[Grant.of("start executions", ["states:StartExecution"], [self.arn])],
        )
        CloudwatchEventTarget(
            self,
            "start-execution",
            rule=rule.name,
            arn=self.arn,
            role_arn=events_role.arn,
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dlq.arn),
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_event_age_in_seconds=86_400, maximum_retry_attempts=185
            ),
            depends_on=list(events_role.policies),  # infra/constructs/service_role.py
        )

    @property
    def arn(self) -> str:
        return str(self.state_machine.arn)

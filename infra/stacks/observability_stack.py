"""Observability: the pipeline-health dashboard and the alarms that page through the alert
topic. Reads the other stacks' values from Parameter Store; changes on its own."""

from __future__ import annotations

from constructs import Construct

from infra.config import FUNCTIONS, EnvironmentConfig
from infra.constructs.cloudwatch import (
    Dashboard,
    GraphWidget,
    MathExpression,
    Metric,
    MetricAlarm,
    SingleValueWidget,
    TextWidget,
)
from infra.constructs.ssm_exports import ImportedValues
from infra.stacks import data_stack, pipeline_stack
from infra.stacks.base import EnvironmentStack

NAME = "observability"
RUNBOOK = "docs/operations.md"  # each alarm's section is its id, or the runbook= it names


class ObservabilityStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, NAME, config=config)
        naming = config.naming
        pipeline = ImportedValues(self, "pipeline", naming=naming, stack=pipeline_stack.NAME)
        data = ImportedValues(self, "data", naming=naming, stack=data_stack.NAME)
        state_machine = pipeline.get("state_machine_arn")
        functions = {name: pipeline.get(f"{name}_function_name") for name in FUNCTIONS}
        table = data.get("metadata_table_name")
        topic = data.get("alerts_topic_arn")
        app_ns = pipeline_stack.metrics_namespace(config)

        def sfn(metric: str, statistic: str = "Sum", label: str | None = None) -> Metric:
            return Metric(
                namespace="AWS/States",
                metric_name=metric,
                dimensions={"StateMachineArn": state_machine},
                statistic=statistic,
                label=label or metric,
            )

        def app(
            metric: str, service: str, statistic: str = "Sum", label: str | None = None
        ) -> Metric:
            return Metric(
                namespace=app_ns,
                metric_name=metric,
                dimensions={"service": service},
                statistic=statistic,
                label=label or metric,
            )

        def lam(metric: str, function: str) -> Metric:
            return Metric(
                namespace="AWS/Lambda",
                metric_name=metric,
                dimensions={"FunctionName": functions[function]},
                label=f"{function} {metric}",
            )

        # A rate is 0 in a period with nothing to divide by, in the form CloudWatch documents
        # for it (IF(condition, trueValue, falseValue), "Metric math syntax and functions",
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
        # MAX([invocations, 1]) mixed a scalar into a time-series array and floored a count.
        def error_rate(function: str) -> MathExpression:
            return MathExpression(
                expression="IF(invocations > 0, 100 * errors / invocations, 0)",
                using={
                    "errors": lam("Errors", function),
                    "invocations": lam("Invocations", function),
                },
                label=f"{function} error %",
            )

        quarantine_rate = MathExpression(
            expression="IF(rows > 0, 100 * quarantined / rows, 0)",
            using={
                "quarantined": app("RowsQuarantined", "transform"),
                "rows": app("RowsRead", "transform"),
            },
            label="quarantined %",
        )
        dlq = Metric(
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": naming.name("trigger-dlq", kind="sqs")},
            statistic="Maximum",
            label="dead letters",
        )
        dashboard = Dashboard(
            self,
            "dashboard",
            name=naming.name("pipeline-health", kind="dashboard"),
            region=config.region,
        )
        dashboard.add_widgets(
            TextWidget(
                markdown=f"# Transaction pipeline ({config.environment}, {config.suffix})\nExecutions, latency, errors, volume and throttles. Alarms page through the alert topic; what to do about each: {RUNBOOK}."
            )
        )
        dashboard.add_widgets(
            SingleValueWidget(
                title="Executions (5 min)",
                metrics=[
                    sfn("ExecutionsStarted"),
                    sfn("ExecutionsSucceeded"),
                    sfn("ExecutionsFailed"),
                ],
                width=8,
            ),
            SingleValueWidget(
                title="Rows (5 min)",
                metrics=[
                    app("RowsRead", "transform"),
                    app("RowsWritten", "transform"),
                    app("RowsQuarantined", "transform"),
                ],
                width=8,
            ),
            SingleValueWidget(
                title="Needs a person (0 when healthy)",
                metrics=[
                    app("FilesFailed", "finalize", label="files failed"),
                    sfn("ExecutionsTimedOut"),
                    dlq,
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            GraphWidget(
                title="File latency end to end (ms)",
                left=[sfn("ExecutionTime", p, f"{p}") for p in ("p50", "p95", "p99")],
                width=8,
            ),
            GraphWidget(
                title="Chunk latency (ms)",
                left=[
                    app("ChunkLatency", "transform", p, f"chunk {p}") for p in ("p50", "p95", "p99")
                ],
                width=8,
            ),
            GraphWidget(
                title="Executions",
                left=[sfn("ExecutionsStarted"), sfn("ExecutionsSucceeded")],
                right=[
                    sfn("ExecutionsFailed"),
                    sfn("ExecutionsTimedOut"),
                    sfn("ExecutionThrottled"),
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            GraphWidget(
                title="Lambda error rate (%)", left=[error_rate(f) for f in FUNCTIONS], width=8
            ),
            GraphWidget(
                title="Lambda throttles", left=[lam("Throttles", f) for f in FUNCTIONS], width=8
            ),
            GraphWidget(
                title="DynamoDB throttles",
                left=[
                    Metric(
                        namespace="AWS/DynamoDB",
                        metric_name=m,
                        dimensions={"TableName": table},
                        label=m,
                    )
                    for m in ("ReadThrottleEvents", "WriteThrottleEvents")
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            GraphWidget(
                title="Data volume (bytes)",
                left=[app("BytesProcessed", "transform", label="bytes processed")],
                width=8,
            ),
            GraphWidget(
                title="Rows",
                left=[app("RowsWritten", "transform"), app("DuplicateRows", "transform")],
                right=[app("RowsQuarantined", "transform")],
                width=8,
            ),
            GraphWidget(
                title="Files",
                left=[
                    app("FilesAccepted", "ingest"),
                    app("FilesRejected", "ingest"),
                    app("FilesDuplicate", "ingest"),
                ],
                right=[app("FilesFailed", "finalize")],
                width=8,
            ),
        )

        def alarm(
            id: str,
            description: str,
            metric: Metric | MathExpression,
            threshold: float,
            runbook: str | None = None,
        ) -> None:
            MetricAlarm(
                self,
                id,
                name=naming.name(id, kind="alarm"),
                description=f"{description}. Runbook: {RUNBOOK}#{runbook or id}",
                metric=metric,
                threshold=threshold,
                actions=[topic],
            )

        alarm(
            "executions-failed",
            "Pipeline executions failed: a file was not processed",
            sfn("ExecutionsFailed"),
            config.alarm_failed_executions,
        )
        alarm("executions-timed-out", "Pipeline executions timed out", sfn("ExecutionsTimedOut"), 1)
        alarm(
            "file-latency-p95",
            "p95 end-to-end file latency over the SLA",
            sfn("ExecutionTime", "p95"),
            config.alarm_latency_p95_ms,
        )
        alarm(
            "quarantine-rate",
            "Share of rows quarantined is high: check the source's files",
            quarantine_rate,
            config.alarm_quarantine_rate_pct,
        )
        alarm(
            "dynamodb-throttles",
            "Metadata table throttled",
            Metric(
                namespace="AWS/DynamoDB",
                metric_name="WriteThrottleEvents",
                dimensions={"TableName": table},
            ),
            1,
        )
        alarm(
            "trigger-dlq",
            "New-file events could not start the workflow: after fixing the cause, "
            f"./pants run envs/{config.environment}:redrive -- --dead-letters",
            dlq,
            1,
        )
        for function in FUNCTIONS:
            alarm(
                f"{function}-errors",
                f"{function} error rate over {config.alarm_error_rate_pct}%",
                error_rate(function),
                config.alarm_error_rate_pct,
                runbook="lambda-errors",
            )
            alarm(
                f"{function}-throttles",
                f"{function} throttled",
                lam("Throttles", function),
                1,
                runbook="lambda-throttles",
            )

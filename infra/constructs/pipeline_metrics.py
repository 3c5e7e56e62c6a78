"""The pipeline's CloudWatch metrics, named once: the health dashboard draws them and the
alarms watch them, so a graph and the alarm on it cannot drift apart. No resources: a value
that builds ``Metric``s and ``MathExpression``s from the deployed names it is given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infra.constructs.cloudwatch import MathExpression, Metric


@dataclass(frozen=True, kw_only=True)
class PipelineMetrics:
    state_machine_arn: str
    """The workflow's state machine: the ``AWS/States`` dimension."""
    function_names: Mapping[str, str]
    """Each pipeline function (``config.FUNCTIONS``, in that order) to its deployed name."""
    table_name: str
    """The metadata table, for its DynamoDB throttles."""
    app_namespace: str
    """Where the services publish their own metrics (``POWERTOOLS_METRICS_NAMESPACE``)."""
    dead_letter_queue_name: str
    """The queue of new-file events that could not start the workflow."""

    @property
    def functions(self) -> tuple[str, ...]:
        """The functions graphed and alarmed on, one graph line or alarm pair each."""
        return tuple(self.function_names)

    def states(self, metric: str, statistic: str = "Sum", label: str | None = None) -> Metric:
        return Metric(
            namespace="AWS/States",
            metric_name=metric,
            dimensions={"StateMachineArn": self.state_machine_arn},
            statistic=statistic,
            label=label or metric,
        )

    def app(
        self, metric: str, service: str, statistic: str = "Sum", label: str | None = None
    ) -> Metric:
        return Metric(
            namespace=self.app_namespace,
            metric_name=metric,
            dimensions={"service": service},
            statistic=statistic,
            label=label or metric,
        )

    def function(self, metric: str, function: str) -> Metric:
        return Metric(
            namespace="AWS/Lambda",
            metric_name=metric,
            dimensions={"FunctionName": self.function_names[function]},
            label=f"{function} {metric}",
        )

    def table(self, metric: str) -> Metric:
        return Metric(
            namespace="AWS/DynamoDB",
            metric_name=metric,
            dimensions={"TableName": self.table_name},
            label=metric,
        )

    @property
    def dead_letters(self) -> Metric:
        return Metric(
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dead_letter_queue_name},
            statistic="Maximum",
            label="dead letters",
        )

    # A rate is 0 in a period with nothing to divide by, in the form CloudWatch documents
    # for it (IF(condition, trueValue, falseValue), "Metric math syntax and functions",
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
    # MAX([invocations, 1]) mixed a scalar into a time-series array and floored a count.
    def error_rate(self, function: str) -> MathExpression:
        return _percent(
            ("errors", self.function("Errors", function)),
            ("invocations", self.function("Invocations", function)),
            label=f"{function} error %",
        )

    @property
    def quarantine_rate(self) -> MathExpression:
        """Of the rows of files that finalized: per file, as their outputs hold them, not per
        chunk run (services/finalize/finalize/run.py, FILE_ROW_METRICS)."""
        return _percent(
            ("quarantined", self.app("RowsQuarantined", "finalize")),
            ("rows", self.app("RowsRead", "finalize")),
            label="quarantined %",
        )


def _percent(
    numerator: tuple[str, Metric], denominator: tuple[str, Metric], *, label: str
) -> MathExpression:
    """100 * numerator / denominator, or 0 with no denominator (the IF() form cited above)."""
    (n, n_metric), (d, d_metric) = numerator, denominator
    return MathExpression(
        expression=f"IF({d} > 0, 100 * {n} / {d}, 0)",
        using={n: n_metric, d: d_metric},
        label=label,
    )

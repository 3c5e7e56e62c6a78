"""Observability: the pipeline-health dashboard, the alarms that page through the alert topic
and the VPC's rejected-traffic flow logs. Reads the other stacks' values from Parameter Store;
changes on its own."""

from __future__ import annotations

from constructs import Construct

from infra.config import FUNCTIONS, EnvironmentConfig
from infra.constructs.health_dashboard import HealthDashboard, HealthDashboardProps
from infra.constructs.pipeline_alarms import PipelineAlarms, PipelineAlarmsProps
from infra.constructs.pipeline_metrics import PipelineMetrics
from infra.constructs.rejected_traffic_logs import RejectedTrafficLogs, RejectedTrafficLogsProps
from infra.exports import DataExport, NetworkExport, PipelineExport, Stack
from infra.stacks import pipeline_stack
from infra.stacks.base import EnvironmentStack

NAME = Stack.OBSERVABILITY
RUNBOOK = "docs/operations.md"  # each alarm's section is its id, or the runbook= it names


class ObservabilityStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, NAME, config=config)
        naming = config.naming
        pipeline, data = self.imported(Stack.PIPELINE), self.imported(Stack.DATA)
        network = self.imported(Stack.NETWORK)
        state_machine = pipeline.get(PipelineExport.STATE_MACHINE_ARN)
        functions = {name: pipeline.get(PipelineExport.function_name(name)) for name in FUNCTIONS}
        table = data.get(DataExport.METADATA_TABLE_NAME)
        topic = data.get(DataExport.ALERTS_TOPIC_ARN)

        metrics = PipelineMetrics(
            state_machine_arn=state_machine,
            function_names=functions,
            table_name=table,
            app_namespace=pipeline_stack.metrics_namespace(config),
            dead_letter_queue_name=naming.trigger_dead_letter_queue,
        )
        HealthDashboard(
            self,
            "dashboard",
            props=HealthDashboardProps(
                name=naming.name("pipeline-health", kind="dashboard"),
                region=config.region,
                environment=config.environment,
                suffix=config.suffix,
                metrics=metrics,
                runbook=RUNBOOK,
            ),
        )
        PipelineAlarms(
            self,
            "alarms",
            props=PipelineAlarmsProps(
                metrics=metrics,
                topic_arn=topic,
                alarm_name=lambda id: naming.name(id, kind="alarm"),
                runbook=RUNBOOK,
                redrive_command=f"./pants run envs/{config.environment}:redrive -- --dead-letters",
                failed_executions=config.alarm_failed_executions,
                latency_p95_ms=config.alarm_latency_p95_ms,
                quarantine_rate_pct=config.alarm_quarantine_rate_pct,
                error_rate_pct=config.alarm_error_rate_pct,
            ),
        )
        RejectedTrafficLogs(
            self,
            "rejected-traffic",
            props=RejectedTrafficLogsProps(
                vpc_id=network.get(NetworkExport.VPC_ID),
                log_group_name=f"/vpc/flow-logs/{naming.name('vpc')}",
                role_name=naming.name("vpc-flow-logs-role", kind="iam-role"),
                retention_days=config.log_retention_days,
                key_arn=data.get(DataExport.DATA_KEY_ARN),
            ),
        )

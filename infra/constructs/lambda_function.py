"""The one way to define a pipeline Lambda: arm64, the shared layer, its own log group with
retention, VPC placement, active tracing, JSON logs, Powertools settings, a dead-letter queue
when invoked asynchronously, and a role made of exactly the grants declared for it.

Its code goes through the artifacts bucket, as the layer's does, though it is a few KB: the AWS
provider creates and updates a function from a local ``filename`` under one provider-wide lock
("only reading one function into memory at a time", hashicorp/terraform#9364; held through
the wait for the function to become Active), so four functions from files are made one after
another, about 5 s each; from S3 they are made side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionEphemeralStorage,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from infra.config import FunctionSettings
from infra.constructs.artifact import Artifact
from infra.constructs.grants import TRACE_SEND_ACTIONS, VPC_ENI_ACTIONS, Grant
from infra.constructs.lambda_layer import ARCHITECTURE, RUNTIME, SharedLayer
from infra.constructs.service_role import ServiceRole, ServiceRoleProps

VPC_ACCESS = Grant.of("manage VPC network interfaces", VPC_ENI_ACTIONS, ["*"])
TRACING = Grant.of("send traces", TRACE_SEND_ACTIONS, ["*"])


@dataclass(frozen=True, kw_only=True)
class Placement:
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]


@dataclass(frozen=True, kw_only=True)
class FunctionProps:
    name: str
    role_name: str
    description: str
    handler: str
    package: Artifact
    code_bucket: str
    """Where the zip is uploaded, under ``functions/<name>/<content sha256>.zip``."""
    settings: FunctionSettings
    layer: SharedLayer
    placement: Placement
    log_retention_days: int
    log_key_arn: str
    service: str
    metrics_namespace: str
    environment: Mapping[str, str] = field(default_factory=dict)
    grants: Sequence[Grant] = ()
    asynchronous: bool = False
    dead_letter_queue_name: str | None = None


class PipelineFunction(Construct):
    function: LambdaFunction
    log_group: CloudwatchLogGroup
    role: ServiceRole
    dead_letter_queue: SqsQueue | None = None

    def __init__(self, scope: Construct, id: str, *, props: FunctionProps) -> None:
        super().__init__(scope, id)
        self.name = props.name
        self.timeout_s = props.settings.timeout_s
        self.log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=f"/aws/lambda/{props.name}",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.log_key_arn,
        )
        grants = [
            *props.grants,
            Grant.of(
                "write its own logs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [f"{self.log_group.arn}:*"],
            ),
            VPC_ACCESS,
            TRACING,
        ]
        dead_letter = None
        if props.asynchronous:
            if not props.dead_letter_queue_name:
                raise ValueError(
                    f"{props.name}: an asynchronously invoked function needs dead_letter_queue_name"
                )
            self.dead_letter_queue = SqsQueue(
                self,
                "dlq",
                name=props.dead_letter_queue_name,
                message_retention_seconds=1_209_600,
                sqs_managed_sse_enabled=True,
            )
            grants.append(
                Grant.of(
                    "send failed events to its DLQ",
                    ["sqs:SendMessage"],
                    [self.dead_letter_queue.arn],
                )
            )
            dead_letter = LambdaFunctionDeadLetterConfig(target_arn=self.dead_letter_queue.arn)
        self.role = ServiceRole(
            self,
            "role",
            props=ServiceRoleProps(
                name=props.role_name,
                service="lambda.amazonaws.com",
                grants=grants,
                description=f"Runs {props.name}",
            ),
        )
        upload = props.package.upload(
            self, bucket=props.code_bucket, prefix=f"functions/{props.name}"
        )
        self.function = LambdaFunction(
            self,
            "function",
            function_name=props.name,
            description=props.description,
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=props.handler,
            s3_bucket=upload.bucket,
            s3_key=upload.key,
            source_code_hash=props.package.source_code_hash,
            layers=[props.layer.arn],
            memory_size=props.settings.memory_mb,
            timeout=props.settings.timeout_s,
            ephemeral_storage=LambdaFunctionEphemeralStorage(size=props.settings.ephemeral_mb),
            reserved_concurrent_executions=props.settings.reserved_concurrency,
            vpc_config=LambdaFunctionVpcConfig(
                subnet_ids=list(props.placement.subnet_ids),
                security_group_ids=list(props.placement.security_group_ids),
            ),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            logging_config=LambdaFunctionLoggingConfig(
                log_format="JSON", log_group=self.log_group.name
            ),
            dead_letter_config=dead_letter,
            environment=LambdaFunctionEnvironment(
                variables={
                    "POWERTOOLS_SERVICE_NAME": props.service,
                    "POWERTOOLS_METRICS_NAMESPACE": props.metrics_namespace,
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                    "AWS_RETRY_MODE": "standard",
                    "AWS_MAX_ATTEMPTS": "8",
                    **props.environment,
                }
            ),
            # Its own log group, and its role's permissions (infra/constructs/service_role.py).
            depends_on=[self.log_group, *self.role.policies],
        )

    @property
    def arn(self) -> str:
        return str(self.function.arn)

    def grant_invoke(self) -> Grant:
        return Grant.of(
            f"invoke {self.name}", ["lambda:InvokeFunction"], [self.arn, f"{self.arn}:*"]
        )

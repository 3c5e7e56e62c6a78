"""Pipeline: the shared layer, the four functions, the workflow and its trigger. The stack a
code change redeploys; it reads the network and data stacks' values from Parameter Store."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdktf import Fn
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.constructs.artifact import Artifact
from infra.constructs.grants import Grant
from infra.constructs.lambda_function import FunctionProps, PipelineFunction, Placement
from infra.constructs.lambda_layer import SharedLayer, SharedLayerProps
from infra.constructs.references import BucketRef, KeyRef, TableRef, TopicRef
from infra.constructs.ssm_exports import (
    ExportedValues,
    ExportedValuesProps,
)
from infra.constructs.workflow import (
    MAX_FILE_BYTES,
    PipelineWorkflow,
    WorkflowFunctions,
    WorkflowProps,
)
from infra.constructs.workflow_trigger import WorkflowTrigger, WorkflowTriggerProps
from infra.exports import DataExport, NetworkExport, PipelineExport, Stack
from infra.naming import DATA_BUCKET_ROLES
from infra.stacks.base import EnvironmentStack
from pipeline_shared.variables import Variable

NAME = Stack.PIPELINE

# Arrow's allocator (mimalloc) keeps the memory a batch freed for the next one instead of
# handing it back to the OS and faulting it in again: 10-20 % of transform CPU otherwise
# (docs/benchmarks.md; tests/benchmarks/transform_throughput.py runs with the same setting).
TRANSFORM_ALLOCATOR = {"MIMALLOC_PURGE_DELAY": "-1"}
LAMBDA_MB_PER_VCPU = 1769  # Lambda gives a function one vCPU per 1,769 MB, up to 6


def lambda_vcpus(memory_mb: int) -> int:
    """The vCPUs a function of ``memory_mb`` runs on (whole ones; at least 1)."""
    return max(1, min(6, -(-memory_mb // LAMBDA_MB_PER_VCPU)))


@dataclass(frozen=True)
class Packages:
    """The Pants-built deployment packages (docs/deployment.md)."""

    layer: Artifact
    ingest: Artifact
    transform: Artifact
    finalize: Artifact
    notify: Artifact

    @classmethod
    def from_dir(cls, root: Path, *, layer: str = "layer.zip") -> Packages:
        """``layer``: ``layer-host.zip`` for the local emulator, which runs handlers here."""
        root = root.resolve()  # cdktf resolves relative asset paths against a cdktf.json
        return cls(
            layer=Artifact(root / "libs.shared" / layer),
            ingest=Artifact(root / "services.ingest" / "lambda.zip"),
            transform=Artifact(root / "services.transform" / "lambda.zip"),
            finalize=Artifact(root / "services.finalize" / "lambda.zip"),
            notify=Artifact(root / "services.notify" / "lambda.zip"),
        )


def placeholder_packages(root: Path) -> Packages:
    """Tiny stand-in zips, for synthesizing when the code itself does not matter (the infra
    tests, the cost model): synth needs files to hash and copy."""
    for relative in (
        "libs.shared/layer.zip",
        "services.ingest/lambda.zip",
        "services.transform/lambda.zip",
        "services.finalize/lambda.zip",
        "services.notify/lambda.zip",
    ):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("placeholder.py", f"# {relative}\n")
    return Packages.from_dir(root)


def metrics_namespace(config: EnvironmentConfig) -> str:
    return f"Pipeline/{config.naming.tail}"


class PipelineStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig, packages: Packages) -> None:
        super().__init__(scope, NAME, config=config)
        naming = config.naming
        network, data = self.imported(Stack.NETWORK), self.imported(Stack.DATA)
        key = KeyRef(data.get(DataExport.DATA_KEY_ARN))
        raw, processed, quarantine = (
            BucketRef(
                data.get(DataExport.bucket_name(role)), data.get(DataExport.bucket_arn(role)), key
            )
            for role in DATA_BUCKET_ROLES
        )
        table = TableRef(
            data.get(DataExport.METADATA_TABLE_NAME), data.get(DataExport.METADATA_TABLE_ARN), key
        )
        topic = TopicRef(data.get(DataExport.ALERTS_TOPIC_ARN), key)
        placement = Placement(
            subnet_ids=Fn.split(",", network.get(NetworkExport.SUBNET_IDS)),
            security_group_ids=[network.get(NetworkExport.FUNCTION_SECURITY_GROUP_ID)],
        )
        artifacts_bucket = data.get(DataExport.ARTIFACTS_BUCKET_NAME)
        layer = SharedLayer(
            self,
            "layer",
            props=SharedLayerProps(
                name=naming.name("pipeline-shared", kind="lambda"),
                package=packages.layer,
                artifacts_bucket=artifacts_bucket,
            ),
        )

        def function(
            service: str,
            handler: str,
            package: Artifact,
            environment: Mapping[str, str],
            grants: Sequence[Grant],
        ) -> PipelineFunction:
            return PipelineFunction(
                self,
                service,
                props=FunctionProps(
                    name=naming.name(service, kind="lambda"),
                    role_name=naming.name(f"{service}-role", kind="iam-role"),
                    description=f"Pipeline {service} ({config.environment})",
                    handler=handler,
                    package=package,
                    code_bucket=artifacts_bucket,
                    settings=config.functions[service],
                    layer=layer,
                    placement=placement,
                    log_retention_days=config.log_retention_days,
                    log_key_arn=key.arn,
                    service=service,
                    metrics_namespace=metrics_namespace(config),
                    environment=environment,
                    grants=grants,
                ),
            )

        table_env: dict[str, str] = {Variable.METADATA_TABLE: table.name}
        functions = WorkflowFunctions(
            ingest=function(
                "ingest",
                "ingest.handler.lambda_handler",
                packages.ingest,
                {
                    **table_env,
                    Variable.CHUNK_BYTES: str(config.chunk_mb << 20),
                    # The largest file accepted: the workflow's time limit is derived from it.
                    Variable.MAX_FILE_BYTES: str(MAX_FILE_BYTES),
                },
                [
                    raw.grant_read("raw/"),
                    # Registers the file once (a conditional put), reads it back, records it.
                    table.grant_items(
                        "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"
                    ),
                ],
            ),
            transform=function(
                "transform",
                "transform.handler.lambda_handler",
                packages.transform,
                {
                    **table_env,
                    Variable.PROCESSED_BUCKET: processed.name,
                    Variable.QUARANTINE_BUCKET: quarantine.name,
                    **TRANSFORM_ALLOCATOR,
                    # Blocks checked at once: one per vCPU the function's memory buys.
                    Variable.CHECK_WORKERS: str(
                        lambda_vcpus(config.functions["transform"].memory_mb)
                    ),
                },
                [
                    raw.grant_read("raw/"),
                    processed.grant_write("processed/"),
                    quarantine.grant_write("quarantine/"),
                    # A chunk whose run was failed while it uploaded takes its outputs back
                    # (transform/chunk_job.py); it publishes only while the file is REGISTERED.
                    processed.grant_delete("processed/"),
                    quarantine.grant_delete("quarantine/"),
                    # A chunk record, updated while its file is REGISTERED (one transaction).
                    table.grant_items("dynamodb:UpdateItem"),
                    table.grant_condition_check(),
                ],
            ),
            finalize=function(
                "finalize",
                "finalize.handler.lambda_handler",
                packages.finalize,
                {
                    **table_env,
                    Variable.PROCESSED_BUCKET: processed.name,
                    Variable.QUARANTINE_BUCKET: quarantine.name,
                },
                [
                    processed.grant_read("processed/"),
                    processed.grant_write("processed/"),
                    # A failed file's outputs are withdrawn (finalize/run.py).
                    processed.grant_delete("processed/"),
                    quarantine.grant_delete("quarantine/"),
                    # Reads the file and its chunk records, records the outcome; Regroup drops
                    # the records of chunks it absorbed (metadata.delete_chunk: DeleteItem).
                    table.grant_items(
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                    ),
                ],
            ),
            notify=function(
                "notify",
                "notify.handler.lambda_handler",
                packages.notify,
                {
                    Variable.PIPELINE_ENV: config.environment,
                    Variable.PROCESSED_BUCKET: processed.name,
                    Variable.QUARANTINE_BUCKET: quarantine.name,
                },
                [],
            ),
        )
        workflow = PipelineWorkflow(
            self,
            "workflow",
            props=WorkflowProps(
                name=naming.name("pipeline", kind="sfn"),
                role_name=naming.name("pipeline-sfn-role", kind="iam-role"),
                functions=functions,
                topic=topic,
                max_concurrency=config.map_max_concurrency,
                chunk_bytes=config.chunk_mb << 20,
                log_retention_days=config.log_retention_days,
                log_key_arn=key.arn,
            ),
        )
        WorkflowTrigger(
            workflow,
            "trigger",
            props=WorkflowTriggerProps(
                rule_name=naming.name("raw-object-created", kind="event-rule"),
                dead_letter_queue_name=naming.trigger_dead_letter_queue,
                role_name=naming.name("pipeline-events-role", kind="iam-role"),
                raw_bucket_name=raw.name,
                state_machine_arn=workflow.arn,
                region=config.region,
            ),
        )
        ExportedValues(
            self,
            "exports",
            props=ExportedValuesProps(
                naming=naming,
                values={
                    PipelineExport.STATE_MACHINE_ARN: workflow.arn,
                    PipelineExport.LAYER_ARN: layer.arn,
                    **{
                        PipelineExport.function_name(name): fn.function.function_name
                        for name, fn in vars(functions).items()
                    },
                },
            ),
        )

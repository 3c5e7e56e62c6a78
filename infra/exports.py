"""The stacks, and the values each exports to Parameter Store: one typed list per stack.

A stack never reads another's Terraform state; it reads the values the other wrote under
``/pipeline/<env>/<suffix>/<stack>/<name>`` (infra/constructs/ssm_exports.py). The exporting
stack, the stacks that import and the operator tools (tooling/operations) all name a value by
its member here, so a misspelt one fails at type-check, and ``ExportedValues`` refuses a stack
that leaves one of its values out. No cdktf here: the operator tools import it too.
"""

from __future__ import annotations

from enum import StrEnum

from infra.naming import BucketRole


class Stack(StrEnum):
    """The five stacks, in deployment order: each reads only values exported by those before
    it. A stack's name is its directory under the synth output and its Parameter Store path."""

    DATA = "data"
    RETENTION = "retention"
    NETWORK = "network"
    PIPELINE = "pipeline"
    OBSERVABILITY = "observability"


STACK_ORDER: tuple[Stack, ...] = tuple(Stack)

# The stacks that take the built deployment packages (PipelineStack's ``packages``): the deploy
# applies every other stack while Pants builds them (tooling/deploy/staged_synth.py), and checks
# that they came out the same once the packages are in.
PACKAGED_STACKS: tuple[Stack, ...] = (Stack.PIPELINE,)


class StackExport(StrEnum):
    """A value a stack exports; the member's value is its name under the stack's path."""

    @classmethod
    def stack(cls) -> Stack:
        raise NotImplementedError(f"{cls.__name__} names no stack")

    @property
    def key(self) -> str:
        """``<stack>/<name>``: how the operator tools key what they read back (ssm_path tail)."""
        return f"{self.stack()}/{self.value}"


class DataExport(StackExport):
    DATA_KEY_ARN = "data_key_arn"
    METADATA_TABLE_NAME = "metadata_table_name"
    METADATA_TABLE_ARN = "metadata_table_arn"
    ALERTS_TOPIC_ARN = "alerts_topic_arn"
    RAW_BUCKET_NAME = "raw_bucket_name"
    RAW_BUCKET_ARN = "raw_bucket_arn"
    PROCESSED_BUCKET_NAME = "processed_bucket_name"
    PROCESSED_BUCKET_ARN = "processed_bucket_arn"
    QUARANTINE_BUCKET_NAME = "quarantine_bucket_name"
    QUARANTINE_BUCKET_ARN = "quarantine_bucket_arn"
    ARTIFACTS_BUCKET_NAME = "artifacts_bucket_name"
    ARTIFACTS_BUCKET_ARN = "artifacts_bucket_arn"
    QUERY_RESULTS_BUCKET_NAME = "query_results_bucket_name"
    QUERY_RESULTS_BUCKET_ARN = "query_results_bucket_arn"
    # What `query` needs (infra/constructs/query_catalog.py): the Glue database, its tables over
    # the processed and quarantine buckets, and the Athena workgroup the queries run in.
    CATALOG_DATABASE_NAME = "catalog_database_name"
    PROCESSED_TABLE_NAME = "processed_table_name"
    QUARANTINE_TABLE_NAME = "quarantine_table_name"
    QUERY_WORKGROUP_NAME = "query_workgroup_name"

    @classmethod
    def stack(cls) -> Stack:
        return Stack.DATA

    @classmethod
    def bucket_name(cls, role: BucketRole) -> DataExport:
        return cls(f"{_snake(role)}_bucket_name")

    @classmethod
    def bucket_arn(cls, role: BucketRole) -> DataExport:
        return cls(f"{_snake(role)}_bucket_arn")


def _snake(role: BucketRole) -> str:
    """A role as it appears in an export's name (``query-results`` -> ``query_results``)."""
    return role.replace("-", "_")


class NetworkExport(StackExport):
    VPC_ID = "vpc_id"
    SUBNET_IDS = "subnet_ids"  # comma-separated
    FUNCTION_SECURITY_GROUP_ID = "function_security_group_id"

    @classmethod
    def stack(cls) -> Stack:
        return Stack.NETWORK


class PipelineExport(StackExport):
    STATE_MACHINE_ARN = "state_machine_arn"
    LAYER_ARN = "layer_arn"
    INGEST_FUNCTION_NAME = "ingest_function_name"
    TRANSFORM_FUNCTION_NAME = "transform_function_name"
    FINALIZE_FUNCTION_NAME = "finalize_function_name"
    NOTIFY_FUNCTION_NAME = "notify_function_name"

    @classmethod
    def stack(cls) -> Stack:
        return Stack.PIPELINE

    @classmethod
    def function_name(cls, function: str) -> PipelineExport:
        """The deployed name of ``function`` (one of infra.config.FUNCTIONS)."""
        return cls(f"{function}_function_name")

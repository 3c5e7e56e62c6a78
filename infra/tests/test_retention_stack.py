"""The buckets' lifecycle rules live in the retention stack, which only the data stack feeds and
nothing reads (so the AWS provider's ~55 s wait after each lifecycle write runs beside the
pipeline's apply). checkov's CKV2_AWS_61 looks for a bucket's lifecycle configuration in the
bucket's own file: this is that check across the stacks, through the exported bucket name; and
the move is safe for a deployed environment: the data stack forgets its former configurations
instead of deleting them."""

from __future__ import annotations

import re

import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
)
from constructs import Construct

from infra.exports import DataExport, Stack
from infra.naming import CREATED_BUCKET_ROLES, ENVIRONMENTS
from infra.stacks.data_stack import FORMER_LIFECYCLES
from infra.tests.conftest import Synthesized
from tooling.deploy.dependencies import stack_dependencies

_SSM_READ = re.compile(r"^\$\{data\.aws_ssm_parameter\.([^.]+)\.value\}$")
ENVS = pytest.mark.parametrize("env", ENVIRONMENTS)


@ENVS
def test_every_bucket_has_its_lifecycle_rules_in_the_retention_stack(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    exported = {
        body["name"]: body["value"]
        for body in s.resources("aws_ssm_parameter", Stack.DATA).values()
    }
    reads = s.stacks[Stack.RETENTION]["data"]["aws_ssm_parameter"]
    ruled: dict[str, str] = {}  # bucket resource name -> the role its rules are for
    for body in s.resources("aws_s3_bucket_lifecycle_configuration", Stack.RETENTION).values():
        read = _SSM_READ.match(body["bucket"])
        assert read, body["bucket"]
        value = exported[reads[read[1]]["name"]]  # what the data stack wrote under that name
        bucket = re.fullmatch(r"\$\{aws_s3_bucket\.([^.]+)\.bucket\}", value)
        assert bucket, value
        assert bucket[1] not in ruled, f"{bucket[1]} has two lifecycle configurations"
        ruled[bucket[1]] = body["//"]["metadata"]["path"].split("/")[1]
    buckets = s.resources("aws_s3_bucket", Stack.DATA)
    assert set(ruled) == set(buckets)  # each bucket, and nothing else
    for name, role in ruled.items():  # the rules of the bucket's own role
        assert buckets[name]["//"]["metadata"]["path"] == f"data/{role}/bucket"
    assert not s.resources("aws_s3_bucket_lifecycle_configuration", Stack.DATA)


@ENVS
def test_only_the_data_stack_feeds_retention_and_no_stack_reads_it(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    dependencies = stack_dependencies(s.out, tuple(Stack))
    assert dependencies[Stack.RETENTION] == {Stack.DATA}
    assert all(Stack.RETENTION not in needs for needs in dependencies.values())
    assert not s.resources("aws_ssm_parameter", Stack.RETENTION)  # it exports nothing
    read = {
        body["name"] for body in s.stacks[Stack.RETENTION]["data"]["aws_ssm_parameter"].values()
    }
    assert read == {
        s.config.naming.ssm_path(Stack.DATA, DataExport.bucket_name(role).value)
        for role in CREATED_BUCKET_ROLES
    }


def test_adopted_buckets_keep_their_rules_on_destroy(synthesized: dict[str, Synthesized]) -> None:
    prod = synthesized["prod"]
    released = prod.stacks[Stack.RETENTION]["//"]["released_on_destroy"]
    rules = prod.resources("aws_s3_bucket_lifecycle_configuration", Stack.RETENTION)
    kept = {
        rules[address.split(".")[1]]["//"]["metadata"]["path"].split("/")[1] for address in released
    }
    assert kept == set(prod.config.existing_buckets)  # raw and processed: adopted
    for env in ("local", "dev", "staging"):
        assert "released_on_destroy" not in synthesized[env].stacks[Stack.RETENTION].get("//", {})


def test_the_data_stack_forgets_the_configurations_it_held(
    synthesized: dict[str, Synthesized],
) -> None:
    """Each former address is the one cdktf gave data/<role>/lifecycle (computed here, not
    copied), and a `removed` block with destroy = false: a deployed environment's rules stay in
    S3 until the retention stack writes them again."""
    app = App()
    stack = TerraformStack(app, Stack.DATA)
    former = [
        S3BucketLifecycleConfiguration(Construct(stack, role), "lifecycle", bucket="b", rule=[])
        for role in CREATED_BUCKET_ROLES
    ]
    assert tuple(c.friendly_unique_id for c in former) == FORMER_LIFECYCLES
    removed = (synthesized["dev"].out / "stacks" / "data" / "removed.tf").read_text()
    for name in FORMER_LIFECYCLES:
        block = (
            f"removed {{\n  from = aws_s3_bucket_lifecycle_configuration.{name}\n"
            "  lifecycle {\n    destroy = false\n  }\n}\n"
        )
        assert block in removed

"""What every stack of an environment shares: the provider, state, tags and governance."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import Aspects, LocalBackend, S3Backend, TerraformResource, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from constructs import Construct

from infra.aspects.rules import all_rules
from infra.aspects.tagging import FinOpsTags
from infra.config import REQUIRED_TAGS, EnvironmentConfig
from infra.constructs.ssm_exports import ImportedValues, ImportedValuesProps
from infra.exports import Stack
from infra.synthesized import RELEASED_KEY

# Services the stacks manage, as the provider's per-service endpoint settings name them.
EMULATED_SERVICES = (
    "backup",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sfn",
    "sns",
    "sqs",
    "ssm",
    "sts",
)


class EnvironmentStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        if config.aws_endpoint:
            # The local emulator: fake credentials, one endpoint, fail fast on missing APIs.
            endpoint = config.aws_endpoint
            AwsProvider(
                self,
                "aws",
                region=config.region,
                access_key="test",
                secret_key="test",  # noqa: S106 - the emulator's fixed key
                skip_credentials_validation=True,
                skip_requesting_account_id=True,
                skip_metadata_api_check="true",
                s3_use_path_style=True,
                max_retries=2,
                # Python spells the provider's `lambda` setting `lambda_` (a keyword).
                endpoints=[
                    AwsProviderEndpoints(
                        **{f"{s}_" if s == "lambda" else s: endpoint for s in EMULATED_SERVICES}
                    )
                ],
            )
        else:
            AwsProvider(self, "aws", region=config.region)
        self._state_backend(id)
        Aspects.of(self).add(FinOpsTags(config.finops_tags))
        legacy = config.existing_buckets.values()
        for rule in all_rules(
            environment=config.environment,
            suffix=config.suffix,
            required_tags=REQUIRED_TAGS,
            legacy_bucket_names=legacy,
        ):
            Aspects.of(self).add(rule)

    def imported(self, stack: Stack) -> ImportedValues:
        """The values ``stack`` exported, read from Parameter Store (a construct named for it)."""
        return ImportedValues(
            self, stack.value, props=ImportedValuesProps(naming=self.config.naming, stack=stack)
        )

    def release_on_destroy(self, resources: Sequence[TerraformResource]) -> None:
        """List ``resources`` under ``"//"`` → ``released_on_destroy`` in the stack's JSON: the
        deploy's destroy forgets them (``terraform state rm``) before destroying the rest,
        leaving them in AWS (tooling/deploy/release.py). For what the environment adopted."""
        if resources:
            self.add_override(
                f"//.{RELEASED_KEY}",
                [f"{r.terraform_resource_type}.{r.friendly_unique_id}" for r in resources],
            )

    def _state_backend(self, id: str) -> None:
        config = self.config
        if config.state_bucket:
            S3Backend(
                self,
                bucket=config.state_bucket,
                key=f"pipeline/{config.environment}/{config.suffix}/{id}.tfstate",
                region=config.region,
                encrypt=True,
            )
            # S3-native state locking (Terraform 1.10+); cdktf 0.21's S3Backend predates the flag.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        else:
            LocalBackend(self, path=f"{config.state_dir}/{id}.tfstate")

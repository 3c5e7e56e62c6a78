"""The shared Lambda layer (libs/shared and the third-party runtime dependencies), arm64.

The layer is over Lambda's 50 MB direct-upload limit, so it goes through the artifacts bucket
under a content-addressed key: a new layer version is published only when its content changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lambda_layer_version import LambdaLayerVersion
from constructs import Construct

from infra.constructs.artifact import Artifact

RUNTIME = "python3.12"
ARCHITECTURE = "arm64"


@dataclass(frozen=True, kw_only=True)
class SharedLayerProps:
    name: str
    package: Artifact
    """libs/shared:layer, built by Pants."""
    artifacts_bucket: str
    """Where the zip is uploaded, under ``layers/<name>/<content sha256>.zip``."""


class SharedLayer(Construct):
    layer: LambdaLayerVersion

    def __init__(self, scope: Construct, id: str, *, props: SharedLayerProps) -> None:
        super().__init__(scope, id)
        package = props.package
        upload = package.upload(self, bucket=props.artifacts_bucket, prefix=f"layers/{props.name}")
        self.layer = LambdaLayerVersion(
            self,
            "layer",
            layer_name=props.name,
            s3_bucket=upload.bucket,
            s3_key=upload.key,
            source_code_hash=package.source_code_hash,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="pipeline_shared + aws-lambda-powertools, pyarrow, boto3 (arm64)",
        )

    @property
    def arn(self) -> str:
        return str(self.layer.arn)

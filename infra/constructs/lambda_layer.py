"""The shared Lambda layer (libs/shared and the third-party runtime dependencies), arm64."""

from __future__ import annotations

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.lambda_layer_version import LambdaLayerVersion
from constructs import Construct

from infra.constructs.artifact import Artifact

RUNTIME = "python3.12"
ARCHITECTURE = "arm64"


class SharedLayer(Construct):
    layer: LambdaLayerVersion

    def __init__(self, scope: Construct, id: str, *, name: str, package: Artifact) -> None:
        super().__init__(scope, id)
        asset = TerraformAsset(self, "package", path=str(package.path), type=AssetType.FILE)
        self.layer = LambdaLayerVersion(
            self,
            "layer",
            layer_name=name,
            filename=asset.path,
            source_code_hash=package.sha256_base64,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="pipeline_shared + aws-lambda-powertools, pyarrow, boto3 (arm64)",
        )

    @property
    def arn(self) -> str:
        return str(self.layer.arn)

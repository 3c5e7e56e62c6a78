"""A built deployment package (zip), its content hash, and its upload to the artifacts bucket."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct


@dataclass(frozen=True)
class Artifact:
    path: Path

    def __post_init__(self) -> None:
        if not self.path.is_file():
            raise FileNotFoundError(
                f"deployment package {self.path} does not exist: build it with "
                "`./pants package services:: libs/shared:layer` (see docs/deployment.md)"
            )
        if not zipfile.is_zipfile(self.path):
            raise ValueError(f"deployment package {self.path} is not a zip file")

    @cached_property
    def content_sha256(self) -> str:
        """sha256 over the entries' names and bytes, in name order: the same code gives the same
        hash whatever the zip's timestamps, so Terraform updates a function or layer only when
        its code changed."""
        digest = hashlib.sha256()
        with zipfile.ZipFile(self.path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                digest.update(info.filename.encode() + b"\0")
                if not info.is_dir():
                    digest.update(hashlib.sha256(archive.read(info)).digest())
        return digest.hexdigest()

    @property
    def source_code_hash(self) -> str:
        return base64.b64encode(bytes.fromhex(self.content_sha256)).decode()

    def upload(self, scope: Construct, *, bucket: str, prefix: str) -> S3Object:
        """The zip as an S3 object under ``<prefix>/<content sha256>.zip`` (a cdktf asset named
        ``package`` and an object named ``upload``, made in ``scope``): replaced only when the
        code changed, whatever the zip's timestamps."""
        asset = TerraformAsset(scope, "package", path=str(self.path), type=AssetType.FILE)
        return S3Object(
            scope,
            "upload",
            bucket=bucket,
            key=f"{prefix}/{self.content_sha256}.zip",
            source=asset.path,
            source_hash=self.content_sha256,
        )

"""Prepare an AWS account for an environment's remote state: the ``[state] bucket`` of its
config, created once, outside the stacks (destroying an environment must never destroy its own
state). Idempotent: each setting is read first and written only when it differs, so a second
run changes nothing and says so.

The bucket: versioned (every state file's history, for a rollback), default encryption SSE-S3
(Terraform's backend also asks for it: ``encrypt = true``), all public access blocked, ACLs off
(BucketOwnerEnforced), and a policy that denies any request not over TLS. Existing policy
statements and tags are kept; only ours are added or corrected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

TLS_ONLY_SID = "DenyInsecureTransport"
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


class BootstrapError(RuntimeError):
    """One line: why the state bucket cannot be prepared."""


@dataclass(frozen=True)
class Step:
    setting: str
    changed: bool
    detail: str


def _code(error: Exception) -> str:
    response: dict[str, Any] = getattr(error, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", ""))


def tls_only_statement(bucket: str) -> dict[str, Any]:
    return {
        "Sid": TLS_ONLY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _bucket(s3: Any, bucket: str, region: str) -> Step:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = _code(error)
        if code in ("403", "AccessDenied", "Forbidden"):
            raise BootstrapError(
                f"bucket {bucket} exists but this account cannot use it (S3 names are global: "
                "another account may own it); choose another [state] bucket in config.toml"
            ) from None
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
    else:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        if location != region:
            raise BootstrapError(
                f"bucket {bucket} exists in {location}, but the environment's region is {region}"
            )
        return Step("bucket", False, f"s3://{bucket} exists in {region}")
    arguments: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":  # us-east-1 refuses its own name as a LocationConstraint
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**arguments)
    except ClientError as error:
        if _code(error) == "BucketAlreadyExists":
            raise BootstrapError(
                f"bucket name {bucket} is taken by another AWS account (S3 names are global): "
                "choose another [state] bucket in config.toml"
            ) from None
        raise
    return Step("bucket", True, f"created s3://{bucket} in {region}")


def _versioning(s3: Any, bucket: str) -> Step:
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled":
        return Step("versioning", False, "enabled")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return Step("versioning", True, "turned on")


def _encryption(s3: Any, bucket: str) -> Step:
    from botocore.exceptions import ClientError

    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
    except ClientError as error:
        if _code(error) != "ServerSideEncryptionConfigurationNotFoundError":
            raise
        rules = []
    algorithms = {
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules
    }
    if algorithms & {"AES256", "aws:kms", "aws:kms:dsse"}:
        return Step("encryption", False, f"default {', '.join(sorted(a for a in algorithms if a))}")
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return Step("encryption", True, "default SSE-S3 (AES256) set")


def _public_access(s3: Any, bucket: str) -> Step:
    from botocore.exceptions import ClientError

    try:
        current = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if _code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
        current = {}
    if all(current.get(key) is True for key in PUBLIC_ACCESS_BLOCK):
        return Step("public access", False, "all blocked")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
    return Step("public access", True, "all four public access settings blocked")


def _ownership(s3: Any, bucket: str) -> Step:
    from botocore.exceptions import ClientError

    try:
        rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    except ClientError as error:
        if _code(error) != "OwnershipControlsNotFoundError":
            raise
        rules = []
    if [r.get("ObjectOwnership") for r in rules] == ["BucketOwnerEnforced"]:
        return Step("object ownership", False, "BucketOwnerEnforced (ACLs off)")
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    return Step("object ownership", True, "set to BucketOwnerEnforced (ACLs off)")


def _policy(s3: Any, bucket: str) -> Step:
    from botocore.exceptions import ClientError

    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if _code(error) != "NoSuchBucketPolicy":
            raise
        policy = {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    wanted = tls_only_statement(bucket)
    if wanted in statements:
        return Step("policy", False, "TLS only")
    others = [s for s in statements if s.get("Sid") != TLS_ONLY_SID]
    policy = {**policy, "Version": "2012-10-17", "Statement": [*others, wanted]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    kept = f", {len(others)} other statement(s) kept" if others else ""
    return Step("policy", True, f"requests not over TLS denied{kept}")


def _tags(s3: Any, bucket: str, tags: dict[str, str]) -> Step:
    from botocore.exceptions import ClientError

    try:
        current = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    except ClientError as error:
        if _code(error) != "NoSuchTagSet":
            raise
        current = {}
    if all(current.get(key) == value for key, value in tags.items()):
        return Step("tags", False, "FinOps tags present")
    merged = {**current, **tags}
    s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in merged.items()]}
    )
    return Step("tags", True, f"FinOps tags set ({', '.join(sorted(tags))})")


def bootstrap_state_bucket(
    bucket: str, region: str, *, tags: dict[str, str], s3: Any | None = None
) -> list[Step]:
    """Create or complete the state bucket; what each setting was or became."""
    if s3 is None:
        import boto3

        s3 = boto3.client("s3", region_name=region)
    steps = [_bucket(s3, bucket, region)]
    steps += [
        _versioning(s3, bucket),
        _encryption(s3, bucket),
        _public_access(s3, bucket),
        _ownership(s3, bucket),
        _policy(s3, bucket),
        _tags(s3, bucket, tags),
    ]
    return steps

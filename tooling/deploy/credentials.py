"""Before anything else touches AWS: can we reach it, and as whom? One clear line otherwise.

Without this, a deploy with no credentials got as far as the deploy record in the state bucket
and ended in a 60-line ``NoCredentialsError`` traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# What STS and the other services answer for credentials that are not (or no longer) valid.
CREDENTIAL_ERRORS = (
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "AuthFailure",
    "RequestExpired",
)


class AwsAccessError(RuntimeError):
    """One line: what is wrong with the AWS access and what to do."""


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str


def describe_aws_error(error: Exception, region: str) -> str:
    """A one-line explanation of a boto3/botocore failure to reach or sign in to AWS."""
    from botocore import exceptions as aws

    profile = os.environ.get("AWS_PROFILE")
    if isinstance(error, aws.ProfileNotFound):
        return (
            f"AWS profile {profile or str(error)!r} (AWS_PROFILE) is not configured: "
            "`aws configure list-profiles` lists the known ones"
        )
    if isinstance(error, aws.NoCredentialsError | aws.PartialCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE (and `aws sso login`), or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (docs/deployment.md, First deploy)"
        )
    if isinstance(
        error,
        aws.EndpointConnectionError | aws.ConnectTimeoutError | aws.ReadTimeoutError,
    ):
        return f"cannot reach AWS in {region} (no network, or a proxy in the way?): {error}"
    if isinstance(error, aws.ClientError):
        code = error.response.get("Error", {}).get("Code", "error")
        message = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
        if code in CREDENTIAL_ERRORS:
            return (
                f"AWS refused the credentials{f' of profile {profile}' if profile else ''} "
                f"({code}: {message}); sign in again (`aws sso login`) or check them"
            )
        operation = getattr(error, "operation_name", "") or "a call"
        return f"AWS answered {operation} with {code}: {message or 'no message'}"
    text = " ".join(str(error).split())
    return f"AWS credentials could not be used ({type(error).__name__}: {text})"


def check_aws_access(region: str) -> Identity:
    """Who we are (STS GetCallerIdentity, which needs no permission), or AwsAccessError."""
    import boto3
    from botocore import exceptions as aws
    from botocore.config import Config

    try:
        session = boto3.session.Session(region_name=region)
        sts = session.client(
            "sts",
            config=Config(
                connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}
            ),
        )
        answer = sts.get_caller_identity()
    except (aws.BotoCoreError, aws.ClientError) as error:
        raise AwsAccessError(describe_aws_error(error, region)) from None
    return Identity(str(answer["Account"]), str(answer["Arn"]))


def check_state_bucket(bucket: str, region: str, *, command: str = "bootstrap") -> None:
    """The remote-state bucket exists and this account can use it, or AwsAccessError naming
    the bootstrap command that creates it."""
    import boto3
    from botocore import exceptions as aws

    try:
        boto3.client("s3", region_name=region).head_bucket(Bucket=bucket)
    except aws.ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise AwsAccessError(
                f"state bucket {bucket} does not exist: prepare the account once with "
                f"`./pants run {command}` (docs/deployment.md, First deploy)"
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise AwsAccessError(
                f"state bucket {bucket} exists but this identity may not use it (403): another "
                "account's bucket, or missing s3:ListBucket; check [state] bucket and AWS_PROFILE"
            ) from None
        raise AwsAccessError(describe_aws_error(error, region)) from None
    except aws.BotoCoreError as error:
        raise AwsAccessError(describe_aws_error(error, region)) from None

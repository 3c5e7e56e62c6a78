"""AWS's documented limits that moto does not enforce, as pure checks: each takes what a request
carries and answers None (AWS accepts it) or the Refusal AWS answers, with its status, error
code and a message. The emulator's AwsLimits layer (middleware.py) reads requests and applies
them, so a local run fails where a real account would.

Each constant cites the page it comes from. Where the documentation and AWS's behaviour differ,
the stricter reading wins (the local environment is to be at least as strict as AWS).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from infra.naming import s3_bucket_name_problem


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


# Step Functions: "Maximum input or output size for a task, state, or execution: 256 KiB of
# data as a UTF-8 encoded string. This quota affects tasks (activity, Lambda function, or
# integrated service), state or execution output, and input data when scheduling a task,
# entering a state, or starting an execution."
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
# StartExecution's ``input``: "Length constraints apply to the payload size, and are expressed
# as bytes in UTF-8 encoding", maximum 262144; an over-long member is refused with the front
# door's ValidationException ("1 validation error detected: ...").
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
SFN_PAYLOAD_MAX_BYTES = 256 * 1024
SFN_DATA_LIMIT_ERROR = "States.DataLimitExceeded"  # concepts-error-handling.html: terminal,
# "can't be caught by States.ALL"


def sfn_execution_input(execution_input: str | None) -> Refusal | None:
    size = len((execution_input or "").encode())
    if size <= SFN_PAYLOAD_MAX_BYTES:
        return None
    return Refusal(
        400,
        "ValidationException",
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member "
        f"must have length less than or equal to {SFN_PAYLOAD_MAX_BYTES} ({size} bytes)",
    )


# Lambda Invoke: "For synchronous invocations, the maximum payload size is 6 MB. For
# asynchronous invocations, the maximum payload size is 1 MB." Over it, the call fails
# RequestTooLargeException (413): "The request payload exceeded the Invoke request body JSON
# input quota." https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html and
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
# The response (6 MB synchronous) moto checks itself: a larger one is answered as the function
# error Function.ResponseSizeTooLarge (moto/awslambda/responses.py; tests/test_limits.py holds
# it there).
LAMBDA_SYNC_REQUEST_MAX_BYTES = 6 * 1024 * 1024
LAMBDA_ASYNC_REQUEST_MAX_BYTES = 1024 * 1024
LAMBDA_SYNC_RESPONSE_MAX_BYTES = 6_291_556  # AWS's own figure in Function.ResponseSizeTooLarge


def lambda_invoke_request(payload: bytes, invocation_type: str) -> Refusal | None:
    asynchronous = invocation_type == "Event"
    limit = LAMBDA_ASYNC_REQUEST_MAX_BYTES if asynchronous else LAMBDA_SYNC_REQUEST_MAX_BYTES
    if len(payload) <= limit:
        return None
    return Refusal(
        413,
        "RequestTooLargeException",
        f"Request must be smaller than {limit} bytes for the "
        f"{'InvokeAsync' if asynchronous else 'InvokeFunction'} operation ({len(payload)} bytes)",
    )


# SNS Publish, Subject: "Subjects must be UTF-8 text with no line breaks or control characters,
# and less than 100 characters long." Earlier editions of the same page: "must be ASCII text
# that begins with a letter, number, or punctuation mark; must not include line breaks or
# control characters; and must be less than 100 characters long". Both hold here: printable
# ASCII, not beginning with a space, 1 to 99 characters. (SNS itself takes exactly 100, see
# getmoto/moto#1503; moto refuses only over 100.) Message: "at most 256 KB in size (262,144
# bytes, not 262,144 characters)" (moto counts characters). Either refused InvalidParameter.
# https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
SNS_SUBJECT_MAX_CHARS = 99
SNS_MESSAGE_MAX_BYTES = 262_144
_PRINTABLE_ASCII = re.compile(r"[ -~]*")


def sns_subject_problem(subject: str) -> str | None:
    """Why SNS refuses this subject, or None."""
    if not subject:
        return "it is empty"
    if len(subject) > SNS_SUBJECT_MAX_CHARS:
        return f"it has {len(subject)} characters, SNS takes fewer than 100"
    if not _PRINTABLE_ASCII.fullmatch(subject):
        bad = next(c for c in subject if not " " <= c <= "~")
        return f"it holds {bad!r}: only printable ASCII, no line breaks or control characters"
    if subject[0] == " ":
        return "it begins with a space, not a letter, number or punctuation mark"
    return None


def sns_publish(subject: str | None, message: str | None) -> Refusal | None:
    if subject is not None:
        problem = sns_subject_problem(subject)
        if problem is not None:
            return Refusal(400, "InvalidParameter", f"Invalid parameter: Subject ({problem})")
    size = len((message or "").encode())
    if size > SNS_MESSAGE_MAX_BYTES:
        return Refusal(
            400,
            "InvalidParameter",
            f"Invalid parameter: Message too long ({size} bytes, at most {SNS_MESSAGE_MAX_BYTES})",
        )
    return None


# S3 general purpose bucket naming rules, refused InvalidBucketName (400, "The specified bucket
# is not valid."); moto checks the length only. The rule is the one config checks names with
# (infra.naming.s3_bucket_name_problem, which cites the naming rules page).


def s3_create_bucket(name: str) -> Refusal | None:
    problem = s3_bucket_name_problem(name)
    if problem is None:
        return None
    return Refusal(400, "InvalidBucketName", f"The specified bucket is not valid. ({problem})")


# SSM PutParameter Name: only a-zA-Z0-9_.- and "/" between hierarchy levels; a name in a
# hierarchy is fully qualified (begins with "/"); spaces at either end are removed, inside they
# fail ValidationException; "Parameter hierarchies are limited to a maximum depth of fifteen
# levels" (HierarchyLevelLimitExceededException, "A hierarchy can have a maximum of 15
# levels."); "The maximum length for a parameter name that you specify is 1011 characters.
# This count of 1011 characters includes the characters in the ARN that precede the name".
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
# https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html
# (The "aws"/"ssm" prefix rule moto checks itself.) Levels are counted with the name's last
# part: the stricter reading.
SSM_NAME_MAX_WITH_ARN = 1011
SSM_MAX_LEVELS = 15
_SSM_NAME = re.compile(r"[a-zA-Z0-9_.\-/]+")


def ssm_parameter_name(name: str, *, region: str, account: str) -> Refusal | None:
    name = name.strip(" ")
    if not _SSM_NAME.fullmatch(name):
        return Refusal(
            400,
            "ValidationException",
            f"Parameter name {name!r}: it can include only a-zA-Z0-9_.- and the slash (/) that "
            "delineates hierarchies",
        )
    if "/" in name and not name.startswith("/"):
        return Refusal(400, "ValidationException", "Parameter name must be a fully qualified name.")
    levels = [level for level in name.split("/") if level]
    if len(levels) > SSM_MAX_LEVELS:
        return Refusal(
            400,
            "HierarchyLevelLimitExceededException",
            f"A hierarchy can have a maximum of {SSM_MAX_LEVELS} levels ({name!r} has "
            f"{len(levels)}).",
        )
    arn = f"arn:aws:ssm:{region}:{account}:parameter" + (name if name[0] == "/" else "/" + name)
    if len(arn) > SSM_NAME_MAX_WITH_ARN:
        return Refusal(
            400,
            "ValidationException",
            "1 validation error detected: Value at 'name' failed to satisfy constraint: Member "
            f"must have length less than or equal to {SSM_NAME_MAX_WITH_ARN} with the ARN before "
            f"it ({len(arn)} characters)",
        )
    return None


# Tags: "Maximum key length - 128 Unicode characters in UTF-8", "Maximum value length - 256
# Unicode characters in UTF-8", a key is never empty, and "aws:" is reserved as a key prefix
# ("You can't edit or delete tag keys or values with this prefix").
# https://docs.aws.amazon.com/personalize/latest/dg/personalize-managing-tags.html ("the
# standard set of characters available across AWS services that support tags"), and the
# services' API references give the same bounds (e.g. the Tag shape of
# https://docs.aws.amazon.com/config/latest/APIReference/API_Tag.html: key 1-128, value 0-256). A value over a modeled bound fails the front door's validation: ValidationException
# for the JSON protocols, ValidationError for the query ones (IAM, SNS, CloudWatch), with
# "1 validation error detected: Value ... failed to satisfy constraint"; S3 answers InvalidTag
# (PutBucketTagging), EC2 InvalidParameterValue.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
TAG_KEY_MAX_CHARS = 128
TAG_VALUE_MAX_CHARS = 256
TAG_RESERVED_PREFIX = "aws:"
_TAG_ERROR_BY_SERVICE = {"s3": "InvalidTag", "ec2": "InvalidParameterValue"}


@dataclass(frozen=True)
class Tag:
    key: str
    value: str
    where: str  # the request member it came from, for the message


def tags(tag_list: list[Tag], *, service: str, query_protocol: bool) -> Refusal | None:
    code = _TAG_ERROR_BY_SERVICE.get(
        service, "ValidationError" if query_protocol else "ValidationException"
    )
    for tag in tag_list:
        if not tag.key:
            return Refusal(400, code, f"1 validation error detected: {tag.where}: an empty key")
        for part, text, limit in (
            ("key", tag.key, TAG_KEY_MAX_CHARS),
            ("value", tag.value, TAG_VALUE_MAX_CHARS),
        ):
            if len(text) > limit:
                return Refusal(
                    400,
                    code,
                    f"1 validation error detected: Value '{text[:40]}...' at '{tag.where}.{part}'"
                    f" failed to satisfy constraint: Member must have length less than or equal "
                    f"to {limit} ({len(text)} characters)",
                )
        if tag.key.lower().startswith(TAG_RESERVED_PREFIX):
            return Refusal(
                400, code, f"{tag.where}: tag keys beginning with 'aws:' are reserved for AWS use"
            )
    return None


# IAM: "IAM doesn't count white space when calculating the size of a policy against these
# quotas": the inline policies of a role, together, 10,240 characters; a managed policy 6,144;
# a role trust policy 2,048 (the default). Over them: LimitExceeded (409), "Maximum policy size
# of 10240 bytes exceeded for role <name>" and "Cannot exceed quota for PolicySize: 6144" (as
# AWS words them); moto checks none.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
IAM_ROLE_INLINE_POLICIES_MAX_CHARS = 10_240
IAM_MANAGED_POLICY_MAX_CHARS = 6_144
IAM_ROLE_TRUST_POLICY_MAX_CHARS = 2_048


def policy_size(document: str) -> int:
    """Characters IAM counts: the document without the white space between its tokens."""
    try:
        return len(json.dumps(json.loads(document), separators=(",", ":"), ensure_ascii=False))
    except ValueError:
        return len(re.sub(r"\s", "", document))


def iam_role_inline_policies(role: str, documents: list[str]) -> Refusal | None:
    """``documents``: every inline policy the role would have (the new one included)."""
    total = sum(policy_size(d) for d in documents)
    if total <= IAM_ROLE_INLINE_POLICIES_MAX_CHARS:
        return None
    return Refusal(
        409,
        "LimitExceeded",
        f"Maximum policy size of {IAM_ROLE_INLINE_POLICIES_MAX_CHARS} bytes exceeded for role "
        f"{role} ({total} characters in its inline policies)",
    )


def iam_managed_policy(document: str) -> Refusal | None:
    size = policy_size(document)
    if size <= IAM_MANAGED_POLICY_MAX_CHARS:
        return None
    return Refusal(
        409,
        "LimitExceeded",
        f"Cannot exceed quota for PolicySize: {IAM_MANAGED_POLICY_MAX_CHARS} ({size} characters)",
    )


def iam_trust_policy(document: str) -> Refusal | None:
    size = policy_size(document)
    if size <= IAM_ROLE_TRUST_POLICY_MAX_CHARS:
        return None
    return Refusal(
        409,
        "LimitExceeded",
        f"Cannot exceed quota for ACLSizePerRole: {IAM_ROLE_TRUST_POLICY_MAX_CHARS} ({size} "
        "characters)",
    )

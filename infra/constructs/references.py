"""Resources of another stack, as read from Parameter Store, and the grants on them.

Stacks never read each other's Terraform state: the producing stack exports names and ARNs
to SSM (``ssm_exports``), the consuming stack reads them here and grants exact permissions.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.constructs.grants import Grant, Statement


@dataclass(frozen=True)
class KeyRef:
    arn: str

    def grant_decrypt(self) -> Grant:
        return Grant.of("decrypt with the data key", ["kms:Decrypt"], [self.arn])

    def grant_encrypt_decrypt(self) -> Grant:
        return Grant.of(
            "use the data key", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [self.arn]
        )


@dataclass(frozen=True)
class BucketRef:
    name: str
    arn: str
    key: KeyRef

    def grant_read(self, prefix: str = "") -> Grant:
        statement = Statement(("s3:GetObject",), (f"{self.arn}/{prefix}*",))
        return Grant(f"read objects under {prefix or '/'}", (statement,)) + self.key.grant_decrypt()

    def grant_write(self, prefix: str = "") -> Grant:
        statement = Statement(
            ("s3:PutObject", "s3:AbortMultipartUpload"), (f"{self.arn}/{prefix}*",)
        )
        return (
            Grant(f"write objects under {prefix or '/'}", (statement,))
            + self.key.grant_encrypt_decrypt()
        )

    def grant_delete(self, prefix: str = "") -> Grant:
        statement = Statement(("s3:DeleteObject",), (f"{self.arn}/{prefix}*",))
        return Grant(f"delete objects under {prefix or '/'}", (statement,))


TABLE_ITEM_ACTIONS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
    }
)


@dataclass(frozen=True)
class TableRef:
    name: str
    arn: str
    key: KeyRef

    def grant_read_write(self) -> Grant:
        actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
        return (
            Grant.of("read and write items", actions, [self.arn]) + self.key.grant_encrypt_decrypt()
        )

    def grant_items(self, *actions: str) -> Grant:
        """Exactly the item actions a function's code calls (the call report of the end-to-end
        run, tooling/emulator/call_report.py, shows each used or names the path that needs it)."""
        if not actions or not all(a in TABLE_ITEM_ACTIONS for a in actions):
            raise ValueError(f"not DynamoDB item actions: {actions}")
        return (
            Grant.of("read and write items", sorted(actions), [self.arn])
            + self.key.grant_encrypt_decrypt()
        )

    def grant_condition_check(self) -> Grant:
        """For transactions that write one item only while another is in a given state."""
        return Grant.of("check item conditions", ["dynamodb:ConditionCheckItem"], [self.arn])


@dataclass(frozen=True)
class TopicRef:
    arn: str
    key: KeyRef

    def grant_publish(self) -> Grant:
        return (
            Grant.of("publish alerts", ["sns:Publish"], [self.arn])
            + self.key.grant_encrypt_decrypt()
        )

"""The metadata table as infra/constructs/metadata_table.py defines it (pk / sk strings,
on demand), for tests against moto in either resolve."""

from __future__ import annotations

from typing import Any


def create_metadata_table(dynamodb: Any, name: str) -> None:
    """``dynamodb`` is a boto3 DynamoDB client (moto's, in a test)."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )

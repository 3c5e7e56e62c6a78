"""Publish a composed message to the alerts topic (data access)."""

from __future__ import annotations

from notify.messages import Message
from pipeline_shared import aws
from pipeline_shared.retry import call_with_backoff


def publish(topic_arn: str, message: Message) -> str:
    response = call_with_backoff(
        lambda: aws.sns().publish(
            TopicArn=topic_arn,
            Subject=message.subject,
            Message=message.body,
            MessageAttributes={"severity": {"DataType": "String", "StringValue": message.severity}},
        )
    )
    return response["MessageId"]

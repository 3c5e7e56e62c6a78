"""The notify Lambda publishes to SNS (moto); an SQS subscriber reads the message back."""

from __future__ import annotations

import json

import boto3
from testkit.aws import REGION, Resources

import notify.handler
from notify.tests.test_messages import SUMMARY


class _Context:
    function_name, memory_limit_in_mb, aws_request_id = "notify-test", 256, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-2:123456789012:function:notify-test"


def test_summary_is_published_to_the_topic(pipeline_aws: Resources) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="alerts-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    boto3.client("sns", region_name=REGION).subscribe(
        TopicArn=pipeline_aws.topic_arn, Protocol="sqs", Endpoint=queue_arn
    )

    notify.handler.settings.cache_clear()
    handler = notify.handler.lambda_handler
    result = handler(SUMMARY, _Context())

    (received,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    envelope = json.loads(received["Body"])
    assert envelope["MessageId"] == result["message_id"]
    assert envelope["Subject"] == result["subject"]
    assert "Rows read: 1000" in envelope["Message"]
    assert envelope["MessageAttributes"]["severity"]["Value"] == "warning"

"""The encrypted SNS topic people subscribe to for pipeline alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from infra.constructs.data_key import DataKey


@dataclass(frozen=True, kw_only=True)
class AlertTopicProps:
    name: str
    key: DataKey
    """Encrypts the messages (the key policy lets CloudWatch alarms publish)."""
    emails: Sequence[str]
    """Subscribed by e-mail; each address confirms its subscription once."""


class AlertTopic(Construct):
    topic: SnsTopic

    def __init__(self, scope: Construct, id: str, *, props: AlertTopicProps) -> None:
        super().__init__(scope, id)
        self.topic = SnsTopic(self, "topic", name=props.name, kms_master_key_id=props.key.arn)
        for index, email in enumerate(props.emails):
            SnsTopicSubscription(
                self, f"email-{index}", topic_arn=self.topic.arn, protocol="email", endpoint=email
            )

    @property
    def arn(self) -> str:
        return str(self.topic.arn)

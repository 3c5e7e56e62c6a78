"""The encrypted SNS topic people subscribe to for pipeline alerts."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from infra.constructs.data_key import DataKey


class AlertTopic(Construct):
    topic: SnsTopic

    def __init__(
        self, scope: Construct, id: str, *, name: str, key: DataKey, emails: Sequence[str]
    ) -> None:
        super().__init__(scope, id)
        self.topic = SnsTopic(self, "topic", name=name, kms_master_key_id=key.arn)
        for index, email in enumerate(emails):
            SnsTopicSubscription(
                self, f"email-{index}", topic_arn=self.topic.arn, protocol="email", endpoint=email
            )

    @property
    def arn(self) -> str:
        return str(self.topic.arn)

from testkit.aws import aws_credentials, pipeline_aws, recorded_sleeps

__all__ = ["aws_credentials", "pipeline_aws", "recorded_sleeps"]

from testkit.aws import aws_credentials, pipeline_aws

__all__ = ["aws_credentials", "pipeline_aws"]

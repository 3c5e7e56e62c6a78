from testkit.credentials import aws_credentials

__all__ = ["aws_credentials"]

"""Prepare a new AWS account for an environment: its remote-state bucket, once.

    ./pants run envs/<env>:bootstrap

Creates or completes the config's ``[state] bucket`` (versioned, encrypted, TLS only, public
access blocked; tooling/deploy/bootstrap.py). Run it again at any time: it changes only what
differs, and says when nothing did. Then ``:plan`` and ``:deploy`` (docs/deployment.md).
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape

from envs.arguments import add_environment_arguments, config_path
from infra.config import ConfigError, load_config
from tooling.deploy.bootstrap import BootstrapError, bootstrap_state_bucket
from tooling.deploy.credentials import AwsAccessError, check_aws_access, describe_aws_error

console = Console(stderr=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bootstrap", description=__doc__.split("\n\n")[0])
    add_environment_arguments(parser, packages=False)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    args = parse_args(argv)
    region = "its region"
    try:
        config = load_config(config_path(args.env), suffix=args.suffix)
        region = config.region
        if not config.state_bucket:
            console.print(
                f"{config.environment} keeps its Terraform state in local files "
                "(no [state] bucket in its config): nothing to bootstrap",
                soft_wrap=True,
            )
            return 0
        identity = check_aws_access(config.region)
        console.print(f"AWS account {identity.account} as {identity.arn}", soft_wrap=True)
        steps = bootstrap_state_bucket(config.state_bucket, config.region, tags=config.finops_tags)
    except (ConfigError, AwsAccessError, BootstrapError) as error:
        message = " ".join(str(error).split())
        console.print(f"[red]bootstrap failed:[/red] {escape(message)}", soft_wrap=True)
        return 1
    except (BotoCoreError, ClientError) as error:
        message = describe_aws_error(error, region)
        console.print(f"[red]bootstrap failed:[/red] {escape(message)}", soft_wrap=True)
        return 1
    for step in steps:
        mark = "[yellow]changed[/yellow]" if step.changed else "[green]ok[/green]     "
        console.print(f"{mark}  {step.setting:<17} {escape(step.detail)}", soft_wrap=True)
    if any(step.changed for step in steps):
        console.print(f"state bucket s3://{config.state_bucket} is ready for {config.environment}")
    else:
        console.print(
            f"nothing to change: s3://{config.state_bucket} was already ready for "
            f"{config.environment}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

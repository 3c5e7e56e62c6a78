"""The deploy entrypoint as a person meets it: no credentials, an unknown profile, no network,
a retargeted entrypoint, a protected environment. Each is one clear line and a non-zero exit,
before anything is packaged, synthesized or applied."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from envs import deploy
from tooling.deploy.credentials import AwsAccessError, describe_aws_error
from tooling.deploy.environment import Outcome

REPO = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An AWS environment with nothing in it: no variables, no files, no instance metadata."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("PIPELINE_ENV_SUFFIX", raising=False)
    monkeypatch.chdir(REPO)

    def nothing_runs(*args: object, **kwargs: object) -> Outcome:
        raise AssertionError("got past the checks")

    monkeypatch.setattr(deploy, "run_environment", nothing_runs)
    monkeypatch.setattr(deploy, "build_packages", nothing_runs)
    (tmp_path / "packages").mkdir()
    return tmp_path / "packages"


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    return lines[0]


def test_no_credentials_is_one_line(no_aws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["plan", "--env", "dev", "--packages", str(no_aws)]) == 1
    line = _one_line(capsys)
    assert line.startswith("plan failed: no AWS credentials found")


def test_an_unknown_profile_is_one_line(
    no_aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nobody-has-this")
    assert deploy.main(["plan", "--env", "dev", "--packages", str(no_aws)]) == 1
    assert "AWS profile 'nobody-has-this' (AWS_PROFILE) is not configured" in _one_line(capsys)


def test_no_network_is_one_line(
    no_aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    assert deploy.main(["deploy", "--env", "dev", "--packages", str(no_aws)]) == 1
    assert "cannot reach AWS in us-east-2" in _one_line(capsys)


def test_refused_credentials_are_one_line(
    no_aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    def refused(region: str) -> None:
        from botocore.exceptions import ClientError

        raise AwsAccessError(
            describe_aws_error(
                ClientError(
                    {"Error": {"Code": "ExpiredToken", "Message": "The token expired"}},
                    "GetCallerIdentity",
                ),
                region,
            )
        )

    monkeypatch.setattr(deploy, "check_aws_access", refused)
    with mock_aws():
        assert deploy.main(["plan", "--env", "dev", "--packages", str(no_aws)]) == 1
    assert "AWS refused the credentials (ExpiredToken: The token expired)" in _one_line(capsys)


def test_an_entrypoint_cannot_be_retargeted(
    no_aws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What `./pants run envs/dev:destroy -- --env prod` passes: the BUILD target's args first.
    with pytest.raises(SystemExit) as exit:
        deploy.main(["destroy", "--env", "dev", "--env", "prod"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "bound to --env dev" in err and "run envs/prod:destroy instead" in err
    with pytest.raises(SystemExit):
        deploy.main(["destroy", "--env", "dev", "--env=prod"])


def test_the_same_environment_twice_is_fine() -> None:
    assert deploy.parse_args(["plan", "--env", "dev", "--env", "dev"]).env == "dev"


@pytest.fixture
def past_confirmation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records whether main got past the confirmation (to the AWS check), and stops there."""
    reached: list[str] = []

    def stop(region: str) -> None:
        reached.append(region)
        raise AwsAccessError("stopped here by the test")

    monkeypatch.setattr(deploy, "check_aws_access", stop)
    return reached


@pytest.mark.parametrize("command", ["deploy", "destroy"])
def test_prod_without_a_terminal_or_yes_is_refused(
    no_aws: Path,
    past_confirmation: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert deploy.main([command, "--env", "prod", "--packages", str(no_aws)]) == 1
    line = _one_line(capsys)
    assert "prod is protected and there is no terminal to confirm on: pass --yes" in line
    assert past_confirmation == []


def test_prod_goes_ahead_once_its_name_is_typed(
    no_aws: Path,
    past_confirmation: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("prod\n"))
    deploy.main(["destroy", "--env", "prod", "--packages", str(no_aws)])
    assert "Type the environment's name (prod) to destroy prod" in capsys.readouterr().err
    assert past_confirmation == ["us-east-2"]


def test_a_wrong_name_does_nothing(
    no_aws: Path,
    past_confirmation: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    assert deploy.main(["deploy", "--env", "prod", "--packages", str(no_aws)]) == 1
    assert "not confirmed (typed 'yes'): nothing was done" in capsys.readouterr().err
    assert past_confirmation == []


def test_yes_confirms_for_ci(
    no_aws: Path, past_confirmation: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    deploy.main(["destroy", "--env", "prod", "--yes", "--packages", str(no_aws)])
    assert past_confirmation == ["us-east-2"]


def test_plan_of_prod_asks_nothing(
    no_aws: Path, past_confirmation: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    deploy.main(["plan", "--env", "prod", "--packages", str(no_aws)])
    assert past_confirmation == ["us-east-2"]


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_unprotected_environments_ask_nothing(
    no_aws: Path, past_confirmation: list[str], monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    deploy.main(["destroy", "--env", env, "--packages", str(no_aws)])
    assert past_confirmation == ["us-east-2"]


def test_local_is_not_protected_and_never_waits_for_input(
    no_aws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end-to-end test deploys local without a terminal: nothing may ask."""

    class NoInput:
        def isatty(self) -> bool:
            return True  # a terminal, so a prompt would read it

        def readline(self) -> str:
            raise AssertionError("asked for input")

    calls: list[str] = []

    def deployed(command: str, *args: object, **kwargs: object) -> Outcome:
        calls.append(command)
        return Outcome()

    monkeypatch.setattr("sys.stdin", NoInput())
    monkeypatch.setattr(deploy, "run_environment", deployed)
    for command in ("deploy", "destroy"):
        assert deploy.main([command, "--env", "local", "--packages", str(no_aws)]) == 0
    assert calls == ["deploy", "destroy"]


def test_a_protected_setting_protects_any_environment(tmp_path: Path) -> None:
    from infra.config import load_config

    config = tmp_path / "dev" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        (REPO / "envs" / "dev" / "config.toml")
        .read_text()
        .replace('environment = "dev"', 'environment = "dev"\nprotected = true')
    )
    loaded = load_config(config)
    assert loaded.protected
    with pytest.raises(deploy.NotConfirmed, match="dev is protected"):
        deploy.confirm("deploy", loaded, yes=False, stdin=io.StringIO(""))


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_plan_prints_each_diff_then_the_summary(
    no_aws: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    from tooling.deploy.credentials import Identity
    from tooling.deploy.orchestrator import StackResult

    def planned(command: str, *args: object, **kwargs: Any) -> Outcome:
        if kwargs["show_plan"] is not None:
            kwargs["show_plan"]("data", '  + resource "aws_kms_key" "data" {}\nPlan: 1 to add')
        return Outcome(results=[StackResult("data", "planned", added=1)])

    monkeypatch.setattr(deploy, "check_aws_access", lambda region: Identity("1", "arn:me"))
    monkeypatch.setattr(deploy, "check_state_bucket", lambda *args, **kwargs: None)
    monkeypatch.setattr(deploy, "run_environment", planned)
    assert deploy.main([command, "--env", "dev", "--packages", str(no_aws)]) == 0
    err = capsys.readouterr().err
    if command == "plan":
        assert err.index('+ resource "aws_kms_key" "data"') < err.index("plan summary")
    else:  # a deploy prints what it does, not the whole diff
        assert "aws_kms_key" not in err


def test_a_missing_state_bucket_names_the_bootstrap(
    no_aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():  # an account with nothing in it
        assert deploy.main(["plan", "--env", "dev", "--packages", str(no_aws)]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines[0].startswith("AWS account 123456789012 as arn:aws:")
    assert lines[1:] == [
        "plan failed: state bucket fin-pipeline-tfstate-dev-use2 does not exist: prepare the "
        "account once with `./pants run envs/dev:bootstrap` (docs/deployment.md, First deploy)"
    ]


def test_other_aws_errors_are_not_blamed_on_credentials() -> None:
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "NoSuchBucket", "Message": "gone"}}, "GetObject")
    assert (
        describe_aws_error(error, "us-east-2") == "AWS answered GetObject with NoSuchBucket: gone"
    )


def test_a_failed_stack_prints_terraforms_error_as_it_is(
    no_aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Terraform's errors hold brackets (addresses, [/path]) that rich read as markup: a
    closing tag it did not open was a MarkupError traceback instead of the error."""
    from tooling.deploy.orchestrator import DeployFailed, StackResult

    def failed(*args: object, **kwargs: object) -> Outcome:
        result = StackResult("data", "failed", error='Error: aws_s3_bucket.b["raw"] [/tmp/x]')
        raise DeployFailed(result, [result])

    monkeypatch.setattr(deploy, "run_environment", failed)
    assert deploy.main(["deploy", "--env", "local", "--packages", str(no_aws)]) == 1
    err = capsys.readouterr().err
    assert 'Error: aws_s3_bucket.b["raw"] [/tmp/x]' in err and "Traceback" not in err


def test_no_stdin_at_all_is_refused_too() -> None:
    from infra.config import load_config

    prod = load_config(REPO / "envs" / "prod" / "config.toml")
    closed = io.StringIO()
    closed.close()
    for stdin in (None, closed):
        with pytest.raises(deploy.NotConfirmed, match="no terminal to confirm on"):
            deploy.confirm("destroy", prod, yes=False, stdin=stdin)

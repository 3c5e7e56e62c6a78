"""What a config file can get wrong beyond its values: the wrong directory, a region no one
has heard of, a tag value AWS refuses, a file that is not a readable UTF-8 file. Each is one
clear ConfigError (the entrypoints print it as one line), never a traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from envs import deploy
from infra.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
GOOD = (REPO / "envs" / "dev" / "config.toml").read_text()


def _config(root: Path, text: str, directory: str = "dev") -> Path:
    path = root / "envs" / directory / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_real_configs_load() -> None:
    for env in ("local", "dev", "staging", "prod"):
        assert load_config(REPO / "envs" / env / "config.toml").environment == env


def test_an_environment_outside_its_directory_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, GOOD, directory="staging")
    with pytest.raises(ConfigError, match=r"says 'dev' but the file is in envs/staging/"):
        load_config(path)


def test_a_region_botocore_does_not_know_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('region = "us-east-2"', 'region = "us-east-9"').replace(
        "us-east-2", "us-east-9"
    )
    with pytest.raises(ConfigError, match=r"region: 'us-east-9' is not an AWS region botocore"):
        load_config(_config(tmp_path, text))


def test_a_known_region_passes(tmp_path: Path) -> None:
    text = GOOD.replace("us-east-2", "eu-west-1")
    assert load_config(_config(tmp_path, text)).region == "eu-west-1"


def test_a_tag_value_over_256_characters_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('Project = "transaction-pipeline"', f'Project = "{"p" * 257}"')
    with pytest.raises(ConfigError, match=r"tags.Project: a tag value is at most 256 characters"):
        load_config(_config(tmp_path, text))
    text = GOOD.replace('Project = "transaction-pipeline"', f'Project = "{"p" * 256}"')
    assert len(load_config(_config(tmp_path, text)).tags["Project"]) == 256


def test_a_config_that_is_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "envs" / "dev" / "config.toml"
    path.mkdir(parents=True)
    with pytest.raises(ConfigError, match="config.toml: is a directory, not a TOML file"):
        load_config(path)


def test_a_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = _config(tmp_path, "")
    path.write_bytes(GOOD.encode().replace(b"fin-data-platform", b"fin-\xe9quipe"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte \d+: b'\\xe9'\)"):
        load_config(path)


def test_an_unreadable_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _config(tmp_path, GOOD)

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)  # chmod 000 does not stop root
    with pytest.raises(ConfigError, match=r"config.toml: cannot be read \(Permission denied\)"):
        load_config(path)


def test_prod_cannot_be_unprotected(tmp_path: Path) -> None:
    text = (REPO / "envs" / "prod" / "config.toml").read_text()
    text = text.replace('environment = "prod"', 'environment = "prod"\nprotected = false')
    with pytest.raises(ConfigError, match="protected: prod is always protected"):
        load_config(_config(tmp_path, text, directory="prod"))


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda p: p.mkdir(parents=True), "is a directory, not a TOML file"),
        (lambda p: p.write_bytes(b'environment = "d\xffv"\n'), "not UTF-8 text"),
        (
            lambda p: p.write_text(GOOD.replace('environment = "dev"', 'environment = "prod"')),
            "says 'prod' but the file is in envs/dev/",
        ),
    ],
)
def test_the_entrypoint_prints_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    write: object,
    expected: str,
) -> None:
    path = tmp_path / "envs" / "dev" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path)  # type: ignore[operator]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert deploy.main(["deploy", "--env", "dev", "--packages", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    assert expected in lines[0]

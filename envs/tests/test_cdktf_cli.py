"""The CDKTF CLI in envs/<env>/ (cdktf.json): ``cdktf synth`` runs the app from the repository
root with $CDKTF_OUTDIR relative to envs/<env>/, then reads the manifest there. The CLI itself
(npm cdktf-cli) is not installed in CI: these tests hold the contract it relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envs.synth import cdktf_outdir
from infra.naming import ENVIRONMENTS

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_environments_cli_config_runs_its_own_synth(env: str) -> None:
    manifest = json.loads((REPO / "envs" / env / "cdktf.json").read_text())
    assert manifest["language"] == "python"
    assert manifest["app"] == f"cd ../.. && ./pants run envs/{env}:synth"
    assert not Path(manifest["output"]).is_absolute()


def test_a_relative_cli_output_lands_where_the_cli_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDKTF_OUTDIR", "cdktf.out")
    assert cdktf_outdir("dev") == Path("envs/dev/cdktf.out")


def test_an_absolute_cli_output_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "out"))
    assert cdktf_outdir("staging") == tmp_path / "out"


def test_without_the_cli_synth_writes_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    assert cdktf_outdir("dev") is None


def test_the_local_environment_synthesizes_against_its_running_emulator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`cdktf deploy` in envs/local/ runs the synth without an endpoint: it must find the
    emulator, or refuse (a provider without an endpoint would reach real AWS)."""
    from envs import synth
    from infra.config import ConfigError, load_config
    from tooling.emulator import control
    from tooling.emulator.control import Emulator

    config = load_config(REPO / "envs" / "local" / "config.toml")
    monkeypatch.setattr(control, "running", lambda state_dir: None)
    with pytest.raises(ConfigError, match="none is running .* ./pants run envs/local:deploy"):
        synth.emulator_endpoint(config, tmp_path)
    found = Emulator(url="http://127.0.0.1:4566", pid=1)
    monkeypatch.setattr(control, "running", lambda state_dir: found)
    assert synth.emulator_endpoint(config, tmp_path) == "http://127.0.0.1:4566"

"""The two synths of a deploy (tooling/deploy/staged_synth.py), on the dev environment's real
stacks: the stacks without code are the same whatever the packages, the pipeline's directory
holds real code only, and a stack that does take the packages without saying so is caught."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from infra.config import EnvironmentConfig, load_config
from infra.exports import PACKAGED_STACKS, STACK_ORDER, Stack
from tooling.deploy import staged_synth
from tooling.deploy.fingerprint import stack_fingerprint
from tooling.deploy.staged_synth import StagedSynth, SynthMismatch

REPO = Path(__file__).resolve().parents[3]
ZIPS = (
    "libs.shared/layer.zip",
    "services.ingest/lambda.zip",
    "services.transform/lambda.zip",
    "services.finalize/lambda.zip",
    "services.notify/lambda.zip",
)


@pytest.fixture(scope="module")
def config() -> EnvironmentConfig:
    return load_config(REPO / "envs" / "dev" / "config.toml")


def _built(root: Path, version: str) -> Path:
    """Packages as `./pants package` lays them out, their code marked with ``version``."""
    for relative in ZIPS:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("handler.py", f"VERSION = {version!r}\n")
    return root


def _function_hashes(synth_dir: Path) -> set[str]:
    document = json.loads((synth_dir / "stacks" / "pipeline" / "cdk.tf.json").read_text())
    functions = document["resource"]["aws_lambda_function"].values()
    return {function["source_code_hash"] for function in functions}


def test_only_the_packaged_stacks_take_the_code(tmp_path: Path, config: EnvironmentConfig) -> None:
    """Synthesized with two different builds, every stack outside PACKAGED_STACKS comes out
    the same, so applying it before the build is done applies what the build would give."""
    prints = {}
    for version in ("one", "two"):
        synth_dir = tmp_path / version / "synth"
        staged = StagedSynth(config, synth_dir, tmp_path / version / "state")
        staged.without_packages()
        staged.with_packages(_built(tmp_path / version / "dist", version))
        prints[version] = {s: stack_fingerprint(synth_dir / "stacks" / s) for s in STACK_ORDER}
    for stack in STACK_ORDER:
        same = prints["one"][stack] == prints["two"][stack]
        assert same == (stack not in PACKAGED_STACKS), stack


def test_the_pipeline_keeps_its_last_real_synth_until_the_packages_land(
    tmp_path: Path, config: EnvironmentConfig
) -> None:
    synth_dir = tmp_path / "synth"
    first = StagedSynth(config, synth_dir, tmp_path / "state")
    first.without_packages()
    first.with_packages(_built(tmp_path / "v1", "v1"))
    pipeline = synth_dir / "stacks" / "pipeline"
    (pipeline / ".terraform").mkdir()  # Terraform's own: init, providers
    deployed = _function_hashes(synth_dir)

    second = StagedSynth(config, synth_dir, tmp_path / "state")
    second.without_packages()
    assert _function_hashes(synth_dir) == deployed  # no placeholder code where it could apply
    assert (synth_dir / "manifest.json").is_file()
    second.with_packages(_built(tmp_path / "v2", "v2"))
    assert _function_hashes(synth_dir).isdisjoint(deployed)
    assert (pipeline / ".terraform").is_dir()
    assert len(list((pipeline / "assets").iterdir())) == len(ZIPS)  # none left from v1
    assert not second.placeholders.parent.exists()


def test_a_stack_that_takes_the_code_unannounced_is_caught(
    tmp_path: Path, config: EnvironmentConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the pipeline left out of PACKAGED_STACKS, it would apply from placeholders: the
    second synth finds it changed and refuses to go on."""
    monkeypatch.setattr(staged_synth, "PACKAGED_STACKS", (Stack.OBSERVABILITY,))
    staged = StagedSynth(config, tmp_path / "synth", tmp_path / "state")
    staged.without_packages()
    with pytest.raises(SynthMismatch, match=r"^pipeline came out differently"):
        staged.with_packages(_built(tmp_path / "dist", "v1"))

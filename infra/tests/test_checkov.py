"""A checkov scan of every environment's synthesized Terraform: zero failed checks, zero
parse errors, and every skipped check has a written reason in tooling/policy/checkov_skips.toml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from infra.tests.conftest import REPO, Synthesized

SKIPS_FILE = REPO / "tooling" / "policy" / "checkov_skips.toml"
# Where Pants puts the checkov PEX (runtime_package_dependencies in infra/tests/BUILD).
PANTS_PEX = Path("3rdparty.python/checkov.pex")


def _skips() -> dict[str, str]:
    return {
        check: entry["reason"] for check, entry in tomllib.loads(SKIPS_FILE.read_text()).items()
    }


def _checkov() -> list[str]:
    if PANTS_PEX.is_file():
        return [sys.executable, str(PANTS_PEX)]
    found = shutil.which("checkov")
    if found is None:
        pytest.fail(
            "checkov not found: run the tests through `./pants test` (it builds 3rdparty/python:checkov)"
        )
    return [found]


@pytest.fixture(scope="session")
def scan(synthesized: dict[str, Synthesized]) -> list[dict[str, Any]]:
    (root,) = {s.out.parent for s in synthesized.values()}  # all environments, one scan
    command = [
        *_checkov(),
        "--framework",
        "terraform_json",
        "--skip-download",
        "--quiet",
        "--compact",
        "-o",
        "json",
        "--skip-path",
        r"\.terraform",
        "--skip-check",
        ",".join(_skips()),
        "-d",
        str(root),
    ]
    env = dict(
        os.environ,
        BC_SKIP_MAPPING="TRUE",
        CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false",
        LOG_LEVEL="WARNING",
    )
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, timeout=600
    )
    assert (
        result.stdout.strip()
    ), f"checkov printed nothing (exit {result.returncode}): {result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def test_checkov_finds_no_failed_checks_and_no_parse_errors(scan: list[dict[str, Any]]) -> None:
    summary = {
        key: sum(r["summary"][key] for r in scan) for key in ("passed", "failed", "parsing_errors")
    }
    failures = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for r in scan
        for c in r["results"]["failed_checks"]
    ]
    assert summary["parsing_errors"] == 0
    assert summary["failed"] == 0, "\n".join(failures[:40])
    assert summary["passed"] > 100  # the scan really ran checks


def test_every_skipped_check_has_a_reason() -> None:
    skips = _skips()
    assert skips
    for check, reason in skips.items():
        assert check.startswith(("CKV_AWS_", "CKV2_AWS_")) and len(reason) > 40, check

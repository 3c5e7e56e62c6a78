from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from transform.cli import main
from transform.tests.helpers import GOOD, HEADER


def test_transforms_a_local_file_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "day.csv.gz"
    source.write_bytes(gzip.compress(f"{HEADER}\n{GOOD}\n{GOOD}\nshort,row\n".encode()))
    assert main([str(source), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (
        summary["rows_read"],
        summary["rows_written"],
        summary["rows_quarantined"],
        summary["duplicates"],
    ) == (3, 1, 1, 1)
    assert all(
        (tmp_path / "out" / key).is_file()
        for key in summary["outputs"] + summary["quarantine_outputs"]
    )


def test_rejected_file_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("id,value\n1,2\n")
    assert main([str(source), "--out", str(tmp_path / "out")]) == 2
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "REJECTED" and "lacks required column" in summary["reason"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--out", "o"], "missing.csv: no such file"),
        (["{file}", "--out", "o", "--block-mb", "0"], "--block-mb must be between 1 and 256"),
        (["{file}"], "the following arguments are required: --out"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    source = tmp_path / "day.csv"
    source.write_text(f"{HEADER}\n")
    with pytest.raises(SystemExit) as exit_info:
        main([a.replace("{file}", str(source)) for a in args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_corrupt_gzip_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "day.csv.gz"
    source.write_bytes(b"this is not gzip")
    assert main([str(source), "--out", str(tmp_path / "out")]) == 2
    assert "not a valid gzip file" in json.loads(capsys.readouterr().out)["reason"]


@pytest.mark.parametrize("gzipped", [False, True])
def test_progress_counts_every_byte_of_the_file_read(tmp_path: Path, gzipped: bool) -> None:
    from transform.local_run import run_file

    rows = (GOOD.replace("tx-1", f"tx-{n}") for n in range(2000))
    body = "\n".join([HEADER, *rows, ""]).encode()
    path = tmp_path / ("day.csv.gz" if gzipped else "day.csv")
    path.write_bytes(gzip.compress(body) if gzipped else body)
    read: list[int] = []
    summary = run_file(path, tmp_path / "out", on_read=read.append)
    assert summary["status"] == "SUCCEEDED"
    assert sum(read) == path.stat().st_size  # the compressed bytes, for a .gz


def test_the_cli_is_quiet_when_piped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "day.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n")
    assert main([str(path), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == ""

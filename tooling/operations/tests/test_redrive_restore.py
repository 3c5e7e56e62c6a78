"""Re-driving a raw file that the lifecycle rule archived (issue 11, item 9): the workflow could
not read it (InvalidObjectState), so redrive restores it first and says so, and a re-run once
the restored copy is there starts the execution. Against moto, which completes a restore at once
(the "in progress" answer S3 gives for hours is played by a wrapper)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tooling.operations.redrive import RESTORE_DAYS, reprocess
from tooling.operations.tests.test_redrive import BUCKET, KEY, Aws, aws  # noqa: F401  (its fixture)


@pytest.fixture
def env(aws: Aws) -> Aws:  # noqa: F811  (test_redrive's moto environment, under another name)
    return aws


def _archive(env: Aws, key: str = KEY, storage_class: str = "GLACIER") -> None:
    env.pipeline.s3.put_object(Bucket=BUCKET, Key=key, Body=b"header\n", StorageClass=storage_class)


@dataclasses.dataclass
class RestoringS3:
    """S3 while a restore runs: HeadObject says ongoing-request="true", RestoreObject refuses."""

    s3: Any
    restores: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        return {**self.s3.head_object(**kwargs), "Restore": 'ongoing-request="true"'}

    def restore_object(self, **kwargs: Any) -> dict[str, Any]:
        self.restores.append(kwargs)
        error = {"Error": {"Code": "RestoreAlreadyInProgress", "Message": "in progress"}}
        raise ClientError(error, "RestoreObject")


def test_an_archived_file_is_restored_instead_of_started(env: Aws) -> None:
    _archive(env)
    with pytest.raises(ClientError, match="InvalidObjectState"):  # what the workflow would meet
        env.pipeline.s3.get_object(Bucket=BUCKET, Key=KEY)
    (result,) = reprocess(env.pipeline, [KEY])
    assert result.execution_arn is None and env.executions() == []
    assert result.problem == (
        "archived in GLACIER: restore started (Standard tier, typically 3-5 hours), "
        "re-run after it completes"
    )
    restore = env.pipeline.s3.head_object(Bucket=BUCKET, Key=KEY)["Restore"]
    assert 'ongoing-request="false"' in restore  # moto restores at once; S3 takes hours
    # the re-run, once the copy is there: the execution starts
    (again,) = reprocess(env.pipeline, [KEY])
    assert again.problem is None and again.execution_arn
    assert len(env.executions()) == 1


def test_a_restore_in_progress_is_reported_not_requested_again(env: Aws) -> None:
    _archive(env, storage_class="DEEP_ARCHIVE")
    restoring = RestoringS3(env.pipeline.s3)
    pipeline = dataclasses.replace(env.pipeline, s3=restoring)
    (result,) = reprocess(pipeline, [KEY], restore_tier="Bulk")
    assert result.problem == (
        "archived in DEEP_ARCHIVE: a restore is in progress; re-run after it completes"
    )
    assert restoring.restores == [] and env.executions() == []


def test_restore_request_tier_days_and_a_race_with_another_restore(env: Aws) -> None:
    _archive(env)
    calls: list[dict[str, Any]] = []
    s3 = env.pipeline.s3

    class Recording:
        def head_object(self, **kwargs: Any) -> dict[str, Any]:
            return dict(s3.head_object(**kwargs))

        def restore_object(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs)
            return dict(s3.restore_object(**kwargs))

    pipeline = dataclasses.replace(env.pipeline, s3=Recording())
    (result,) = reprocess(pipeline, [KEY], restore_tier="Bulk")
    assert calls == [
        {
            "Bucket": BUCKET,
            "Key": KEY,
            "RestoreRequest": {"GlacierJobParameters": {"Tier": "Bulk"}, "Days": RESTORE_DAYS},
        }
    ]
    assert "restore started (Bulk tier, typically 5-12 hours)" in str(result.problem)
    # someone else's restore began between our HeadObject and RestoreObject
    _archive(env, key="raw/bank/2024/05/02/day.csv")
    racing = RestoringS3(s3)
    racing.head_object = s3.head_object  # type: ignore[method-assign]  # no restore seen yet
    (raced,) = reprocess(
        dataclasses.replace(env.pipeline, s3=racing), ["raw/bank/2024/05/02/day.csv"]
    )
    assert "a restore is in progress" in str(raced.problem) and len(racing.restores) == 1


def test_a_dry_run_starts_no_restore(env: Aws) -> None:
    _archive(env)
    (result,) = reprocess(env.pipeline, [KEY], dry_run=True)
    assert result.problem == (
        "archived in GLACIER: would start a restore (Standard tier, typically 3-5 hours)"
    )
    assert "Restore" not in env.pipeline.s3.head_object(Bucket=BUCKET, Key=KEY)


def test_instant_classes_and_finished_files_need_no_restore(env: Aws) -> None:
    _archive(env, storage_class="GLACIER_IR")  # readable in milliseconds
    (result,) = reprocess(env.pipeline, [KEY])
    assert result.problem is None and result.execution_arn
    _archive(env, key="raw/bank/2024/05/04/day.csv")
    head = env.pipeline.s3.head_object(Bucket=BUCKET, Key="raw/bank/2024/05/04/day.csv")
    env.record("raw/bank/2024/05/04/day.csv", str(head["ETag"]).strip('"'), "SUCCEEDED")
    (done,) = reprocess(env.pipeline, ["raw/bank/2024/05/04/day.csv"])
    assert done.note == "already SUCCEEDED: nothing to do"  # no restore for a finished file
    assert "Restore" not in env.pipeline.s3.head_object(
        Bucket=BUCKET, Key="raw/bank/2024/05/04/day.csv"
    )


def test_an_unknown_tier_is_refused(env: Aws) -> None:
    with pytest.raises(ValueError, match="restore tier 'Expedited' is not one of Standard, Bulk"):
        reprocess(env.pipeline, [KEY], restore_tier="Expedited")

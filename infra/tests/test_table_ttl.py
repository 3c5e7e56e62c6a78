"""The metadata table has no time to live (issue 11, #11): file records are the replay ledger
and chunk records are what the failure path and redrive withdraw outputs from, so neither may
expire (infra/constructs/metadata_table.py). TTL was on ``expires_at``, which no code writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.naming import ENVIRONMENTS
from infra.tests.conftest import REPO, Synthesized


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_metadata_table_has_no_time_to_live(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    (table,) = synthesized[env].resources("aws_dynamodb_table").values()
    assert "ttl" not in table or table["ttl"].get("enabled") is not True


def test_no_code_writes_an_expiry_attribute_a_ttl_would_act_on() -> None:
    """If code starts writing one, TTL (and this test) must be decided again together."""
    writers = [
        path
        for root in ("services", "libs/shared", "tooling/operations")
        for path in (REPO / root).rglob("*.py")
        if re.search(r"expires_at|\bttl\b|TimeToLive", Path(path).read_text(), flags=re.IGNORECASE)
    ]
    assert not writers, writers

"""Each function's Settings reads exactly the variables pipeline_shared.variables.READ_BY lists
for it, and requires none that the stack leaves unset (infra/tests/test_stacks.py holds the
stack to the same lists)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import finalize.settings
import ingest.settings
import notify.settings
import transform.settings
from pipeline_shared.config import ConfigError
from pipeline_shared.variables import READ_BY, TUNABLE

SETTINGS: dict[str, Any] = {
    "ingest": ingest.settings.Settings,
    "transform": transform.settings.Settings,
    "finalize": finalize.settings.Settings,
    "notify": notify.settings.Settings,
}
# A value for each variable that has no default.
VALUES = {
    "PIPELINE_ENV": "test",
    "METADATA_TABLE": "metadata-test-t1",
    "PROCESSED_BUCKET": "processed-test-t1",
    "QUARANTINE_BUCKET": "quarantine-test-t1",
}


class Recording(Mapping[str, str]):
    """An environment that remembers every name looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values, self.read = dict(values), set[str]()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def test_every_function_is_listed() -> None:
    assert set(SETTINGS) == set(READ_BY)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_settings_read_the_listed_variables_and_need_only_those_without_a_default(
    name: str,
) -> None:
    environ = Recording(VALUES)
    SETTINGS[name].from_env(environ)
    assert environ.read == READ_BY[name]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_settings_fail_without_a_variable_that_has_no_default(name: str) -> None:
    required = READ_BY[name] & set(VALUES)
    assert not required & TUNABLE  # the stack sets each of them
    for variable in required:
        with pytest.raises(ConfigError, match=variable):
            SETTINGS[name].from_env({k: v for k, v in VALUES.items() if k != variable})

"""The access keys the local emulator attributes calls by (tooling/emulator/call_report.py):
a function runs with its role's own key, ``LOCALROLE`` + the role's name (moto accepts any
key). Apart from middleware and moto, so that the sample day (tooling/deploy/sample_day.py),
which starts executions with a role's key, does not import the emulator's server side."""

from __future__ import annotations

ROLE_KEY_PREFIX = "LOCALROLE"


def role_access_key(role_name: str) -> str:
    """The access key a function runs with locally: its role, recoverable from the key."""
    return f"{ROLE_KEY_PREFIX}{role_name}"

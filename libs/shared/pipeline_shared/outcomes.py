"""The reasons a row does not reach the Parquet output that more than one service names: the
transform counts them, finalize adds duplicates across chunks, notify calls out an unclosed
quote. The value rules' reasons live with the rules (services/transform/transform/validation.py).
Reasons are counted by their exact text, so each is fixed text (docs/data-contract.md)."""

from __future__ import annotations

DUPLICATE = "duplicate transaction_id (first occurrence kept)"
UNTERMINATED = "unterminated quoted field: the file ends inside it"


def over_long(max_record_bytes: int) -> str:
    return f"record longer than {max_record_bytes} bytes"


def wrong_field_count(expected: int, found: int) -> str:
    return f"wrong number of fields: expected {expected}, found {found}"

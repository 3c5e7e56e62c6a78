"""Run the engine on in-memory CSV text and read back what it wrote."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from transform.engine import ChunkContext, Limits, transform_stream
from transform.models import ChunkSummary

HEADER = "transaction_id,account_id,timestamp,amount,currency,merchant_id,mcc,country,channel"
GOOD = "tx-1,acct-1,2024-05-01T10:00:00Z,12.50,USD,m-1,5411,US,POS"
FIELDS = HEADER.split(",")


def row(**overrides: str) -> str:
    """GOOD with some fields replaced."""
    values = dict(zip(FIELDS, GOOD.split(","), strict=True)) | overrides
    return ",".join(values[f] for f in FIELDS)


CONTEXT = ChunkContext(
    source="bank", ingest_id="ing-1", chunk_index=0, source_object="s3://raw/x.csv"
)


def run(data: bytes | str, out: Path, **limits: int) -> ChunkSummary:
    raw = data.encode() if isinstance(data, str) else data
    return transform_stream(io.BytesIO(raw), context=CONTEXT, out_dir=out, limits=Limits(**limits))


def written_rows(out: Path, summary: ChunkSummary) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in summary.outputs:
        rows += pq.read_table(out / key).to_pylist()
    return rows


def quarantined(out: Path, summary: ChunkSummary) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for key in summary.quarantine_outputs:
        records += [
            json.loads(line) for line in (out / key).read_text(encoding="utf-8").splitlines()
        ]
    return records

"""Local writers for a chunk's outputs: Parquet partitioned by transaction date, and the
quarantine as JSON Lines. Paths are relative to an output root and double as S3 keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transform.validation import OUTPUT_SCHEMA

# The lineage columns hold one value per file: dictionary-encoded in Arrow too, so a chunk's
# million copies are a million zero indices, not a million strings.
LINEAGE_TYPE = pa.dictionary(pa.int32(), pa.string())
PARQUET_SCHEMA = OUTPUT_SCHEMA.append(pa.field("source_object", LINEAGE_TYPE)).append(
    pa.field("ingest_id", LINEAGE_TYPE)
)


# Low-cardinality columns; dictionary-encoding unique ids and amounts only costs time.
DICTIONARY_COLUMNS = [
    "account_id",
    "currency",
    "merchant_id",
    "mcc",
    "country",
    "channel",
    "transaction_date",
    "source_object",
    "ingest_id",
]

# Min/max statistics only where they let a query skip row groups: time ranges and amounts.
# Ids and codes are spread over every row group, so their statistics prune nothing and cost
# a fifth of the write time.
STATISTICS_COLUMNS = ["timestamp", "transaction_date", "amount"]


def processed_key(source: str, day: str, ingest_id: str, chunk_index: int, part: int = 0) -> str:
    suffix = f"-p{part:04d}" if part else ""  # parts after the first: large .csv.gz chunks
    return f"processed/{source}/dt={day}/{ingest_id}-c{chunk_index:05d}{suffix}.parquet"


def quarantine_key(source: str, ingest_id: str, chunk_index: int) -> str:
    return f"quarantine/{source}/{ingest_id}/chunk-{chunk_index:05d}.jsonl"


class PartitionedParquetWriter:
    """One Parquet file per transaction date seen in each part of the chunk. ``keys`` lists
    them in the order written: part by part, so a later key never holds an earlier row."""

    def __init__(
        self, root: Path, *, source: str, ingest_id: str, chunk_index: int, source_object: str
    ) -> None:
        self._root = root
        self._source, self._ingest_id, self._chunk = source, ingest_id, chunk_index
        self._source_object = source_object
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._part = 0
        self.keys: list[str] = []

    def write(self, rows: pa.Table, keep: pa.ChunkedArray | None = None) -> None:
        """Write ``rows`` (``OUTPUT_SCHEMA``), only those ``keep`` marks when given: the one
        copy of the rows is the per-day selection, skipped when there is nothing to select."""
        if rows.num_rows == 0:
            return
        zeros = pc.fill_null(pa.nulls(rows.num_rows, pa.int32()), 0)
        for name, value in (("source_object", self._source_object), ("ingest_id", self._ingest_id)):
            rows = rows.append_column(
                name, pa.DictionaryArray.from_arrays(zeros, pa.array([value], pa.string()))
            )
        dates = rows.column("transaction_date")
        days = pc.unique(dates if keep is None else dates.filter(keep)).to_pylist()
        for day in days:
            if len(days) == 1:
                part = rows if keep is None else rows.filter(keep)
            else:
                selected = pc.equal(dates, pa.scalar(day))
                part = rows.filter(selected if keep is None else pc.and_(selected, keep))
            self._writer(day.isoformat()).write_table(part)

    def next_part(self) -> None:
        """Close this part's files: what is written next goes to the next part's."""
        self.close()
        self._writers.clear()
        self._part += 1

    def _writer(self, day: str) -> pq.ParquetWriter:
        if day not in self._writers:
            key = processed_key(self._source, day, self._ingest_id, self._chunk, self._part)
            path = self._root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writers[day] = pq.ParquetWriter(
                path,
                PARQUET_SCHEMA,
                compression="zstd",
                use_dictionary=DICTIONARY_COLUMNS,
                write_statistics=STATISTICS_COLUMNS,
            )
            self.keys.append(key)
        return self._writers[day]

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


class QuarantineWriter:
    """Rejected rows with their record number, raw text and reasons, one JSON object a line."""

    def __init__(
        self, root: Path, *, source: str, ingest_id: str, chunk_index: int, context: dict[str, Any]
    ) -> None:
        self.key = quarantine_key(source, ingest_id, chunk_index)
        self._path = root / self.key
        self._context = context
        self._file: Any = None
        self.count = 0

    def write(self, *, line_number: int, raw_line: str, reasons: list[str]) -> None:
        if self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("w", encoding="utf-8")
        record = {
            **self._context,
            "line_number": line_number,
            "raw_line": raw_line,
            "reasons": reasons,
        }
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1

    @property
    def written(self) -> bool:
        return self.count > 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

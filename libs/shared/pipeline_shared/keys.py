"""The metadata table's key layout (single-table design, docs/data-contract.md), in pure
Python: the functions (lambda resolve) and the operator tools (infra resolve) address the same
items through it.

- file:  pk = ``FILE#<bucket>/<key>``, sk = ``ETAG#<etag>``
- chunk: pk = ``INGEST#<ingest_id>``, sk = ``CHUNK#<index:05d>``
"""

from __future__ import annotations

from collections.abc import Mapping


def file_key(bucket: str, key: str, etag: str) -> dict[str, str]:
    return {"pk": f"FILE#{bucket}/{key}", "sk": f"ETAG#{etag}"}


def chunks_partition(ingest_id: str) -> str:
    """The pk every chunk record of one run shares."""
    return f"INGEST#{ingest_id}"


def chunk_key(ingest_id: str, index: int) -> dict[str, str]:
    return {"pk": chunks_partition(ingest_id), "sk": f"CHUNK#{index:05d}"}


def chunk_index_of(sort_key: str) -> int:
    """The chunk index a chunk record's ``sk`` holds."""
    prefix, _, index = sort_key.partition("#")
    if prefix != "CHUNK" or not index.isdigit():
        raise ValueError(f"not a chunk record's sort key: {sort_key!r}")
    return int(index)


def typed(key: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """A key as DynamoDB attribute values."""
    return {name: {"S": value} for name, value in key.items()}

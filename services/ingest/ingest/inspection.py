"""Checks on a new raw object before anything is registered: key layout, size, type, header."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from pipeline_shared.contract import MAX_HEADER_BYTES, RAW_KEY, FileRejected, parse_header

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, kw_only=True)
class RawObject:
    bucket: str
    key: str
    size: int
    etag: str
    source: str
    compression: str  # "none" or "gzip"


@dataclass(frozen=True, kw_only=True)
class Header:
    line: bytes  # normalized, LF-terminated
    names: list[str]
    data_start: int  # byte offset of the first data row (uncompressed files)


def check_object(*, bucket: str, key: str, size: int, etag: str, max_bytes: int) -> RawObject:
    match = RAW_KEY.match(key)
    if match is None:
        raise FileRejected(
            f"key {key!r} does not follow raw/<source>/<yyyy>/<mm>/<dd>/<name>.csv[.gz] "
            "(source: lower-case letters, digits, '-' or '_')"
        )
    if size <= 0:
        raise FileRejected(f"s3://{bucket}/{key} is empty (0 bytes)")
    if size > max_bytes:
        raise FileRejected(
            f"s3://{bucket}/{key} is {size} bytes, over the {max_bytes}-byte limit (MAX_FILE_BYTES): split it"
        )
    return RawObject(
        bucket=bucket,
        key=key,
        size=size,
        etag=etag.strip('"'),
        source=match["source"],
        compression="gzip" if match["gz"] else "none",
    )


def read_header(first_bytes: bytes, obj: RawObject) -> Header:
    """The header row, from the object's first bytes (decompressed for .csv.gz)."""
    data = first_bytes
    if obj.compression == "gzip":
        if not data.startswith(GZIP_MAGIC):
            raise FileRejected(f"s3://{obj.bucket}/{obj.key} ends in .gz but is not gzip data")
        try:
            data = zlib.decompressobj(wbits=31).decompress(data, MAX_HEADER_BYTES + 1)
        except zlib.error as error:
            raise FileRejected(
                f"s3://{obj.bucket}/{obj.key} is corrupt gzip data: {error}"
            ) from None
    newline = data.find(b"\n")
    whole_object = obj.compression == "none" and len(first_bytes) >= obj.size
    if newline < 0 and not whole_object:
        raise FileRejected(
            f"s3://{obj.bucket}/{obj.key}: no complete header line in its first {len(data)} bytes: not CSV"
        )
    line = data if newline < 0 else data[: newline + 1]
    normalized, names = parse_header(line)
    return Header(line=normalized, names=names, data_start=len(line))

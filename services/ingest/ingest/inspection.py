"""Checks on a new raw object before anything is registered: key layout, size, type, header."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from pipeline_shared.contract import MAX_HEADER_BYTES, RAW_KEY, FileRejected, Header
from pipeline_shared.contract import read_header as read_contract_header

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, kw_only=True)
class RawObject:
    bucket: str
    key: str
    size: int
    etag: str
    source: str
    compression: str  # "none" or "gzip"


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
    data, whole_file = first_bytes, len(first_bytes) >= obj.size
    if obj.compression == "gzip":
        if not data.startswith(GZIP_MAGIC):
            raise FileRejected(f"s3://{obj.bucket}/{obj.key} ends in .gz but is not gzip data")
        inflate = zlib.decompressobj(wbits=31)
        try:
            data = inflate.decompress(data, MAX_HEADER_BYTES + 1)
        except zlib.error as error:
            raise FileRejected(
                f"s3://{obj.bucket}/{obj.key} is corrupt gzip data: {error}"
            ) from None
        whole_file = whole_file and inflate.eof
    return read_contract_header(data, whole_file=whole_file)

from __future__ import annotations

import gzip

import pytest

from ingest.inspection import check_object, read_header
from pipeline_shared.contract import REQUIRED_COLUMNS, FileRejected

HEADER = ",".join(REQUIRED_COLUMNS)


def _check(key: str = "raw/bank/2024/05/01/day.csv", size: int = 100) -> object:
    return check_object(bucket="raw", key=key, size=size, etag='"abc"', max_bytes=1000)


def test_a_well_formed_key_is_accepted() -> None:
    obj = check_object(
        bucket="raw", key="raw/card-eu/2024/12/31/x.csv.gz", size=5, etag='"e"', max_bytes=10
    )
    assert (obj.source, obj.compression, obj.etag) == ("card-eu", "gzip", "e")


@pytest.mark.parametrize(
    ("key", "size", "message"),
    [
        ("incoming/day.csv", 100, "does not follow raw/<source>"),
        ("raw/bank/2024/13/01/day.csv", 100, "does not follow"),
        ("raw/bank/2024/05/01/day.txt", 100, "does not follow"),
        ("raw/Bank/2024/05/01/day.csv", 100, "does not follow"),
        ("raw/bank/2024/05/01/day.csv", 0, "is empty"),
        ("raw/bank/2024/05/01/day.csv", 1001, "over the 1000-byte limit"),
    ],
)
def test_bad_objects_are_rejected_with_the_reason(key: str, size: int, message: str) -> None:
    with pytest.raises(FileRejected, match=message):
        _check(key, size)


def test_header_of_plain_and_gzip_files() -> None:
    plain = check_object(bucket="raw", key="raw/b/2024/05/01/d.csv", size=9, etag="e", max_bytes=99)
    header = read_header(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n1,2", plain)
    assert header.names == list(REQUIRED_COLUMNS)
    assert header.data_start == 3 + len(HEADER) + 2
    gz = check_object(bucket="raw", key="raw/b/2024/05/01/d.csv.gz", size=9, etag="e", max_bytes=99)
    assert read_header(gzip.compress(HEADER.encode() + b"\n1,2\n"), gz).names == list(
        REQUIRED_COLUMNS
    )
    with pytest.raises(FileRejected, match="no complete header row"):
        read_header(gzip.compress(HEADER.encode() + b"\n1,2\n")[:40], gz)


def test_fake_gzip_and_missing_columns_are_rejected() -> None:
    gz = check_object(bucket="raw", key="raw/b/2024/05/01/d.csv.gz", size=9, etag="e", max_bytes=99)
    with pytest.raises(FileRejected, match="not gzip data"):
        read_header(HEADER.encode(), gz)
    plain = check_object(bucket="raw", key="raw/b/2024/05/01/d.csv", size=9, etag="e", max_bytes=99)
    with pytest.raises(FileRejected, match="lacks required column"):
        read_header(b"transaction_id,amount\n", plain)

import io

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from testkit.aws import REGION, Resources

from pipeline_shared.s3_stream import S3RangeReader


class _Counting(io.RawIOBase):
    """Counts the bytes a reader hands out."""

    def __init__(self, inner: S3RangeReader) -> None:
        self.inner, self.bytes = inner, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self.inner.readinto(buffer)
        self.bytes += count
        return count


def _put(res: Resources, key: str, body: bytes) -> str:
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=res.processed_bucket, Key=key, Body=body)
    return str(s3.head_object(Bucket=res.processed_bucket, Key=key)["ETag"])


def test_seeks_read_the_bytes_asked_for(pipeline_aws: Resources) -> None:
    body = bytes(range(256)) * 40
    etag = _put(pipeline_aws, "k", body)
    reader = S3RangeReader(
        bucket=pipeline_aws.processed_bucket, key="k", start=100, end=len(body), etag=etag
    )
    assert reader.read(4) == body[100:104] and reader.tell() == 4
    assert reader.seek(-8, io.SEEK_END) == len(body) - 108
    assert reader.read() == body[-8:]
    reader.seek(10)
    reader.seek(5, io.SEEK_CUR)
    assert reader.read(3) == body[115:118]
    with pytest.raises(ValueError, match="outside the range"):
        reader.seek(-1)


def test_a_parquet_reader_fetches_only_the_column_it_reads(pipeline_aws: Resources) -> None:
    table = pa.table(
        {"transaction_id": [f"tx-{i}" for i in range(50_000)], "note": ["x" * 200] * 50_000}
    )
    out = io.BytesIO()
    pq.write_table(table, out, compression="none", use_dictionary=False)
    etag = _put(pipeline_aws, "t.parquet", out.getvalue())
    reader = _Counting(
        S3RangeReader(
            bucket=pipeline_aws.processed_bucket,
            key="t.parquet",
            start=0,
            end=len(out.getvalue()),
            etag=etag,
        )
    )
    ids = pq.read_table(reader, columns=["transaction_id"]).column(0)
    assert ids.to_pylist() == table.column(0).to_pylist()
    assert reader.bytes < len(out.getvalue()) / 5  # the 200-byte notes were never fetched

"""Streaming reads of an S3 byte range that survive a dropped connection.

botocore retries each request, but not a body stream that breaks half-way through a
several-GB read. This reader resumes from the last byte it handed out, with a new ranged GET
pinned to the object's ETag (so a file replaced mid-read fails instead of mixing versions).
It also seeks (a new ranged GET from there), so a Parquet reader fetches only the footer and
the column chunks it needs.
"""

from __future__ import annotations

import io
from typing import Any

from botocore.exceptions import (
    ConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from pipeline_shared import aws
from pipeline_shared.retry import RetriesExhausted, call_with_backoff

# botocore wraps urllib3's broken-stream errors as ResponseStreamingError.
_STREAM_ERRORS = (ConnectionError, IncompleteReadError, ReadTimeoutError, ResponseStreamingError)


class S3RangeReader(io.RawIOBase):
    """Bytes [start, end) of s3://bucket/key at ``etag``, as a file-like object."""

    def __init__(
        self, *, bucket: str, key: str, start: int, end: int, etag: str | None, max_resumes: int = 5
    ) -> None:
        self._bucket, self._key, self._etag = bucket, key, etag
        self._start, self._position, self._end = start, start, end
        self._body: Any = None
        self._resumes_left = max_resumes

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position - self._start

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Offsets are within the range: 0 is ``start``, SEEK_END is ``end``."""
        base = {io.SEEK_SET: self._start, io.SEEK_CUR: self._position, io.SEEK_END: self._end}
        position = base[whence] + offset
        if not self._start <= position <= self._end:
            raise ValueError(f"seek to {position - self._start} is outside the range")
        if position != self._position and self._body is not None:
            self._body.close()
            self._body = None
        self._position = position
        return position - self._start

    def _open(self) -> Any:
        request: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": self._key,
            "Range": f"bytes={self._position}-{self._end - 1}",
        }
        if self._etag:
            request["IfMatch"] = self._etag
        return call_with_backoff(lambda: aws.s3().get_object(**request))["Body"]

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._end - self._position)
        if wanted <= 0:
            return 0
        while True:
            try:
                if self._body is None:
                    self._body = self._open()
                data = self._body.read(wanted)
                break
            except _STREAM_ERRORS as error:
                self._body = None
                if self._resumes_left == 0:
                    raise RetriesExhausted(
                        f"reading s3://{self._bucket}/{self._key} broke repeatedly at byte "
                        f"{self._position}: {error}"
                    ) from error
                self._resumes_left -= 1
        if not data:
            raise RetriesExhausted(
                f"s3://{self._bucket}/{self._key} ended at byte {self._position}, "
                f"before the expected end {self._end}: was it truncated?"
            )
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        super().close()

import io

from transform.line_guard import PLACEHOLDER, LineGuard


def _guard(
    data: bytes, *, prefix: bytes = b"", read_size: int = 8 << 20
) -> tuple[bytes, LineGuard]:
    guard = LineGuard(io.BytesIO(data), max_line_bytes=10, prefix=prefix, read_size=read_size)
    return guard.read(), guard


def test_short_lines_pass_unchanged_across_read_boundaries() -> None:
    data = b"a,b\n" * 1000 + b"tail"
    out, guard = _guard(data, read_size=7)
    assert out == data
    assert guard.bytes_read == len(data)


def test_long_lines_are_replaced_in_place() -> None:
    data = b"ok\n" + b"x" * 50 + b"\nok2\n" + b"y" * 30
    out, guard = _guard(data, read_size=8)
    assert out == b"ok\n" + PLACEHOLDER + b"\nok2\n" + PLACEHOLDER + b"\n"
    # Each head is the start of the replaced line, at least the limit long.
    first, second = guard.long_line_heads
    assert set(first) == {ord("x")} and len(first) > 10
    assert set(second) == {ord("y")} and len(second) > 10


def test_prefix_is_emitted_first() -> None:
    out, _ = _guard(b"1,2\n", prefix=b"a,b\n")
    assert out == b"a,b\n1,2\n"


def test_reads_of_any_size_give_the_same_bytes() -> None:
    data = b"ok\n" + b"x" * 50 + b"\nok2\n" * 40
    whole, _ = _guard(data, read_size=16)
    for size in (1, 3, 7, 64):
        guard = LineGuard(io.BytesIO(data), max_line_bytes=10, read_size=16)
        parts = []
        while part := guard.read(size):
            assert len(part) <= size
            parts.append(part)
        assert b"".join(parts) == whole
    assert LineGuard(io.BytesIO(data), max_line_bytes=10).read(0) == b""

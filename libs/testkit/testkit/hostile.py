"""Hypothesis strategies for adversarial transaction files (as bytes).

``hostile_files(max_record_bytes)`` builds whole files: a header with the contract's columns in
a random order plus up to two extra ones, then rows that mix valid rows with every defect class
the contract names (docs/data-contract.md): RFC 4180 quoting and its abuses, line ends of every
kind, empty lines, over-long records in every position, invalid UTF-8 in every column, the edges
of each value rule, duplicates near and far, an unterminated quote near the end, a missing final
line end. The generator does not know the expected outcome: the oracle (testkit.oracle) does.

Files stay small (a few KB, up to ~200 KB) so that hundreds of them run in CI; a quoted note
holding CSV-looking lines can still be long enough (up to ~100 KB) to hold a chunk cut when
chunks are 1-64 KiB.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from pipeline_shared.contract import MAX_HEADER_BYTES, REQUIRED_COLUMNS

EXTRA_COLUMNS = ("note", "memo", "ref")
MAX_FILE_BYTES = 200_000  # about: a bulk or long note never starts past half of it

# A line that looks like a record of the contract (the brief's example); its width is adapted
# to the header's.
FAKE_VALUES = {
    "transaction_id": "fake-{n:06d}",
    "account_id": "acct-9",
    "timestamp": "2024-05-01T10:00:00Z",
    "amount": "1.00",
    "currency": "USD",
    "merchant_id": "m-9",
    "mcc": "5411",
    "country": "US",
    "channel": "POS",
}

INVALID_UTF8 = (
    b"\xff",
    b"\xfe",
    b"\x80",  # a lone continuation byte
    b"\xc3",  # a truncated 2-byte sequence
    b"\xc3\x28",
    b"\xe2\x82",  # a truncated 3-byte sequence
    b"\xed\xa0\x80",  # a surrogate (U+D800)
    b"\xc0\xaf",  # an overlong '/'
    b"\xe0\x80\xaf",  # an overlong 3-byte form
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xf8\x88\x80\x80\x80",
)
VALID_NON_ASCII = (
    "é",
    "ü",
    "€",
    "日本",
    "𝄞",
    "\u00a0",
    "\u017f",
    "\u0131",
    "İ",
    "K",
)  # K: Kelvin sign

# --------------------------------------------------------------------------------------------
# Values: valid ones, and the edges of each rule (valid and invalid).

CURRENCIES = ("USD", "EUR", "GBP", "JPY", "KWD", "BHD", "CLF", "UYW", "CHF", "ISK", "KRW", "VND")
MINOR = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3, "BHD": 3, "CLF": 4, "UYW": 4}
MINOR.update({"CHF": 2, "ISK": 0, "KRW": 0, "VND": 0})
COUNTRY_CODES = ("US", "GB", "DE", "FR", "JP", "IT", "KW", "CH", "AX", "BQ", "SS", "ZW")
CHANNEL_NAMES = ("POS", "ECOM", "ATM", "MOTO", "RECURRING", "TRANSFER")
MCCS = ("5411", "0742", "0000", "9999", "5812", "6011")

WHITE = (" ", "  ", "\t", " \t ", "\x0b", "\x0c", "\u00a0", "\u2003", "\u3000", "\r", "\n")


def _id_strategy(prefix: str) -> st.SearchStrategy[str]:
    return st.integers(0, 10**6).map(lambda n: f"{prefix}-{n}")


ID_EDGES = st.sampled_from(
    [
        "a",
        "0",
        "A" * 64,
        "A" * 65,
        "z" * 63 + "_",
        "x" * 64 + " ",
        "_abc",
        ".abc",
        ":abc",
        "-abc",
        "a_b.c:d-e",
        "abc def",
        "ab,c",
        "",
        " ",
        "é1",
        "a\u00e9",
        "\uff46\uff4f\uff4f",
        "ab/c",
        "ab\tc",
        'ab"c',
        "K1",
        "a\x00b",
    ]
)

TIMESTAMP_EDGES = st.sampled_from(
    [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00z",
        "2024-05-01 10:00:00.123+02:00",
        "2024-05-01t10:00:00Z",
        "2024-05-01T10:00:00",
        "2024-05-01T10:00Z",
        "2024-05-01T10Z",
        "2024-05-01",
        "2024-05-01T10:00:00+0200",
        "2024-05-01T10:00:00-0530",
        "2024-05-01T10:00:00+2359",
        "2024-05-01T10:00:00+2400",
        "2024-05-01T10:00:00+0060",
        "2024-05-01T10:00:00+05:99",
        "2024-05-01T10:00:00+02:0",
        "2024-05-01T10:00:00+020",
        "0001-01-01T00:30:00+0100",
        "0000-12-31T23:30:00-0100",
        "0000-02-29T23:30:00-2359",
        "9999-12-31T23:59:59-14:00",
        "2024-05-01T10:00:00+02",
        "2024-05-01T10:00:00 +02:00",
        "2024-05-01T10:00:00Z ",
        "2024-05-01T10:00:00.Z",
        "2024-05-01T10:00:00.1Z",
        "2024-05-01T10:00:00.123456Z",
        "2024-05-01T10:00:00.1234567Z",
        "2024-05-01T10:00:00.123456789Z",
        "2024-05-01T10:00:00,5Z",
        "2024-05-01T23:59:59Z",
        "2024-05-01T23:59:60Z",
        "2024-05-01T23:60:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T10:00:00+23:59",
        "2024-05-01T10:00:00-23:59",
        "2024-05-01T10:00:00+24:00",
        "2024-05-01T10:00:00+23:60",
        "2024-05-01T10:00:00+00:60",
        "2024-05-01T10:00:00-00:00",
        "2024-05-01T10:00:00+00:00",
        "2024-05-01T10:00:00+14:00",
        "2024-05-01T10:00:00+5:00",
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-13-10T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00-01:00",
        "0001-01-01T00:30:00+01:00",
        "0001-01-01T01:00:00+01:00",
        "0001-01-01T00:59:59.999999+01:00",
        "0000-12-31T23:00:00-01:00",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:00:00-01:00",
        "9999-12-31T22:59:59-01:00",
        "9999-12-31T23:59:59-00:01",
        "10000-01-01T00:00:00Z",
        "2024-5-1T10:00:00Z",
        "24-05-01T10:00:00Z",
        "\uff12\uff10\uff12\uff14-05-01T10:00:00Z",
        "2024-05-01T10:00:00\uff3a",
        "2024-05-01T1\uff10:00:00Z",
        "2024-05-01T10:00:00+02:00:00",
        "2024-05-01T10:00:00.123+02:00Z",
        "2024-12-31T23:30:00-01:00",
        "2024-01-01T00:30:00+01:00",
        "+2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00UTC",
        "",
        "now",
    ]
)

AMOUNT_EDGES = st.sampled_from(
    [
        "0",
        "-0",
        "+0",
        "0.00",
        "-0.00",
        "1.",
        ".5",
        "-.5",
        "+1.00",
        "-1.00",
        "+-1",
        "--1",
        "1.2.3",
        "1e3",
        "1E-2",
        "NaN",
        "Infinity",
        "-inf",
        "1_000",
        "1 000",
        "0x10",
        "١٢٣",
        "\uff11\uff12",
        "",
        "-",
        ".",
        "999999999999999999",
        "-999999999999999999",
        "999999999999999999.99",
        "1000000000000000000",
        "9999999999999999999",
        "000000000000000000001.00",
        "0000999999999999999999",
        "00000000000000000000000000",
        "0.000",
        "00.10",
        "123456789012345678.9999",
        "1.234",
        "1.2345",
        "1.23456",
        "0.001",
        "5.10",
        "5.100",
        "7.0",
        "1.\u0665",
        "1.\uff15",
        "+",
        "1.-5",
        "1..5",
    ]
)

CURRENCY_EDGES = st.sampled_from(
    [
        "usd",
        "Usd",
        "uSD",
        "u\u017fd",
        "USD\u00a0",
        "\uff35\uff33\uff24",
        "US",
        "USDD",
        "XAU",
        "xau",
        "XAG",
        "XPD",
        "XPT",
        "XTS",
        "XXX",
        "XDR",
        "XSU",
        "XUA",
        "XBA",
        "XBB",
        "XBC",
        "XBD",
        "XBT",
        "XCD",
        "XOF",
        "XAF",
        "XPF",
        "CLF",
        "UYW",
        "clf",
        "ZZZ",
        "",
        "U S",
        "\u0131sk",
        "\u0130SK",
        "jpy",
        "kwd",
    ]
)

MCC_EDGES = st.sampled_from(
    [
        "541",
        "54111",
        "0000",
        "0742",
        "5 411",
        "+541",
        "-541",
        "5411.0",
        "٥٤١١",
        "\uff15\uff14\uff11\uff11",
        "",
        "abcd",
    ]
)

COUNTRY_EDGES = st.sampled_from(
    [
        "us",
        "Us",
        "\u0131t",
        "it",
        "\u0130T",
        "UK",
        "XK",
        "ZZ",
        "EU",
        "USA",
        "U",
        "",
        "\uff35\uff33",
        "aq",
        "s\u017f",
    ]
)

CHANNEL_EDGES = st.sampled_from(
    [
        "pos",
        "Pos",
        "ecom",
        "Ecom",
        "atm",
        "moto",
        "recurring",
        "transfer",
        "tran\u017ffer",
        "ATM ",
        "CARD",
        "POS\u00a0",
        "P0S",
        "E-COM",
        "",
        "RECURR\u0130NG",
        "ecoM",
    ]
)


@st.composite
def _valid_timestamp(draw: st.DrawFn) -> str:
    year = draw(st.sampled_from([2024, 2023, 2000, 1999, 2100, 1970]))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    hour = draw(st.integers(0, 23))
    minute = draw(st.sampled_from([0, 1, 30, 59]))
    second = draw(st.sampled_from([0, 7, 59]))
    sep = draw(st.sampled_from(["T", "T", " "]))
    fraction = draw(st.sampled_from(["", "", "", ".1", ".123", ".000001", ".999999"]))
    offset = draw(
        st.sampled_from(
            ["Z", "Z", "z", "+00:00", "-00:00", "+02:00", "-05:30", "+23:59", "-2359", "+0100"]
        )
    )
    return (
        f"{year:04d}-{month:02d}-{day:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}"
        f"{fraction}{offset}"
    )


@st.composite
def _valid_amount(draw: st.DrawFn, currency: str) -> str:
    units = MINOR.get(currency.upper(), 2)
    whole = draw(st.sampled_from(["0", "1", "12", "250", "99999", "123456789012345678"]))
    sign = draw(st.sampled_from(["", "", "", "-", "+"]))
    decimals = draw(st.integers(0, units))
    if decimals == 0:
        return sign + whole + draw(st.sampled_from(["", "", "."])) if units == 0 else sign + whole
    digits = draw(st.sampled_from(["0", "5", "9", "1"])) * decimals
    return f"{sign}{whole}.{digits}"


@st.composite
def valid_row(draw: st.DrawFn, tid: str) -> dict[str, str]:
    currency = draw(st.sampled_from(CURRENCIES))
    return {
        "transaction_id": tid,
        "account_id": draw(_id_strategy("acct")),
        "timestamp": draw(_valid_timestamp()),
        "amount": draw(_valid_amount(currency)),
        "currency": currency,
        "merchant_id": draw(st.sampled_from(["m-1", "m:2", "M.3", "merchant_4", "9"])),
        "mcc": draw(st.sampled_from(MCCS)),
        "country": draw(st.sampled_from(COUNTRY_CODES)),
        "channel": draw(st.sampled_from(CHANNEL_NAMES)),
    }


def bulk_row(i: int, tag: str) -> dict[str, str]:
    """A valid row derived from its index alone (cheap: no draws)."""
    currency, units = (("USD", 2), ("JPY", 0), ("KWD", 3), ("EUR", 2))[i % 4]
    amount = str(i * 7) if units == 0 else f"{i}.{str(i % 10) * units}"
    return {
        "transaction_id": f"{tag}{i:06d}",
        "account_id": f"acct-{i % 97}",
        "timestamp": f"2024-05-{1 + i % 3:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
        "amount": amount,
        "currency": currency,
        "merchant_id": f"m-{i % 13}",
        "mcc": MCCS[i % len(MCCS)],
        "country": COUNTRY_CODES[i % len(COUNTRY_CODES)],
        "channel": CHANNEL_NAMES[i % len(CHANNEL_NAMES)],
    }


EDGES: dict[str, st.SearchStrategy[str]] = {
    "transaction_id": ID_EDGES,
    "account_id": ID_EDGES,
    "merchant_id": ID_EDGES,
    "timestamp": TIMESTAMP_EDGES,
    "amount": AMOUNT_EDGES,
    "currency": CURRENCY_EDGES,
    "mcc": MCC_EDGES,
    "country": COUNTRY_EDGES,
    "channel": CHANNEL_EDGES,
}

# The columns whose rules have the most edges come up more often.
EDGE_COLUMNS = (*REQUIRED_COLUMNS, "timestamp", "timestamp", "amount", "amount", "currency")

# --------------------------------------------------------------------------------------------
# Encoding fields and records.


def _line_end(draw: st.DrawFn, style: str) -> bytes:
    if style == "mixed":
        return draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    return style.encode()


def fake_lines(columns: list[str], count: int, line_end: bytes, first: int = 1) -> bytes:
    """CSV-looking lines (records of the header's width, in its order) for a quoted note; no
    `"` in them, so they never close the quote."""
    lines = []
    for n in range(first, first + count):
        values = [FAKE_VALUES.get(c, "x").format(n=n) for c in columns]
        lines.append(",".join(values).encode())
    return line_end.join(lines)


@dataclass
class _Field:
    text: bytes  # the field's content, as the reader should see it (before trimming)
    style: str = "auto"  # auto | quoted | split | stray


def _encode_field(draw: st.DrawFn, content: bytes, style: str) -> bytes:
    needs_quotes = any(ch in content for ch in b',"\r\n') or content.startswith(b'"')
    if style == "auto":
        style = draw(st.sampled_from(["plain"] * 6 + ["quoted", "split"])) if content else "plain"
    if style == "plain" and not needs_quotes:
        return content
    if style == "split" and len(content) >= 1:
        # `"ab"c` reads `abc`: the tail after the closing quote, up to the next `,` or line end,
        # is appended as it is (a `"` in it is ordinary).
        cut = draw(st.integers(0, len(content)))
        head, tail = content[:cut], content[cut:]
        if not any(ch in tail for ch in b",\r\n"):
            return b'"' + head.replace(b'"', b'""') + b'"' + tail
    return b'"' + content.replace(b'"', b'""') + b'"'


def _stray_quote(draw: st.DrawFn, content: bytes) -> bytes:
    """A `"` inside an unquoted field (`ab"c`), or text after a closing quote (`"ab"c"d`)."""
    kind = draw(st.sampled_from(["inside", "after_close", "end"]))
    if kind == "inside" and content:
        at = draw(st.integers(1, max(1, len(content))))
        text = content[:at] + b'"' + content[at:]
        if not text.startswith(b'"') and not any(ch in text for ch in b",\r\n"):
            return text
    if kind == "after_close":
        return b'"' + content.replace(b'"', b'""') + b'"x"y'
    if content and not any(ch in content for ch in b',"\r\n'):
        return content + b'"'
    return b'"' + content.replace(b'"', b'""') + b'"'


# --------------------------------------------------------------------------------------------
# Files.


@dataclass
class _Plan:
    columns: list[str]
    style: str
    max_record_bytes: int
    tag: str
    level: str  # how hostile the rows are: calm files keep their chunk cuts provable


_DEFECT_KINDS = ["edge", "edge", "edge", "utf8", "dup_near", "dup_far", "white", "non_ascii_note"]
ROW_KINDS = {
    "calm": ["valid"] * 24 + _DEFECT_KINDS,
    "hostile": ["valid"] * 6 + _DEFECT_KINDS,
}
_DEFECT_SHAPES = ["stray", "fields-", "fields+", "trailing_comma", "csv_note", "long", "spaces"]
RECORD_SHAPES = {
    "calm": ["plain"] * 50 + _DEFECT_SHAPES,
    "hostile": ["plain"] * 10 + _DEFECT_SHAPES,
}


def _row_values(draw: st.DrawFn, plan: _Plan, ids: list[str], index: int) -> dict[str, bytes]:
    kind = draw(st.sampled_from(ROW_KINDS[plan.level]))
    tid = f"{plan.tag}{index:05d}"
    if kind == "dup_near" and ids:
        tid = ids[-draw(st.integers(1, min(3, len(ids))))]
    elif kind == "dup_far" and ids:
        tid = ids[draw(st.integers(0, max(0, len(ids) // 3)))]
    row = draw(valid_row(tid))
    values = {c: row[c].encode() for c in REQUIRED_COLUMNS}
    if kind == "edge":
        for column in draw(st.lists(st.sampled_from(EDGE_COLUMNS), min_size=1, max_size=3)):
            values[column] = draw(EDGES[column]).encode()
    elif kind == "white":
        for column in draw(st.lists(st.sampled_from(REQUIRED_COLUMNS), min_size=1, max_size=4)):
            before = draw(st.sampled_from(("", *WHITE)))
            after = draw(st.sampled_from(("", *WHITE)))
            values[column] = before.encode() + values[column] + after.encode()
    elif kind in ("dup_near", "dup_far") and draw(st.booleans()):
        values["transaction_id"] = b" " + values["transaction_id"] + b"\t"
    for extra in plan.columns:
        if extra not in values:
            values[extra] = draw(st.sampled_from([b"", b"x", b"a note", b"n/a", b"  "]))
    if kind == "non_ascii_note":
        for column in plan.columns:
            if column not in REQUIRED_COLUMNS:
                values[column] = draw(st.sampled_from(VALID_NON_ASCII)).encode()
    if kind == "utf8":
        column = draw(st.sampled_from(plan.columns))
        bad = draw(st.sampled_from(INVALID_UTF8))
        at = draw(st.integers(0, len(values[column])))
        values[column] = values[column][:at] + bad + values[column][at:]
    if kind != "dup_near" and kind != "dup_far":
        ids.append(tid)
    return values


def _encode_record(
    draw: st.DrawFn, plan: _Plan, values: dict[str, bytes], styles: dict[str, str]
) -> bytes:
    fields = []
    # One draw decides whether the fields' quoting is drawn one by one (fewer draws per row).
    each = draw(st.sampled_from([False, False, True]))
    for column in plan.columns:
        content = values[column]
        style = styles.get(column, "auto" if each else "plain")
        if style == "stray":
            fields.append(_stray_quote(draw, content))
        elif style == "raw":
            fields.append(content)  # already encoded
        else:
            fields.append(_encode_field(draw, content, style))
    return b",".join(fields)


def _pad_column(plan: _Plan) -> str:
    extras = [c for c in plan.columns if c not in REQUIRED_COLUMNS]
    return extras[0] if extras else "channel"


@st.composite
def _record(draw: st.DrawFn, plan: _Plan, ids: list[str], index: int) -> bytes:
    """One record (without its line end)."""
    shape = draw(st.sampled_from(RECORD_SHAPES[plan.level]))
    values = _row_values(draw, plan, ids, index)
    styles: dict[str, str] = {}
    if shape == "stray":
        styles[draw(st.sampled_from(plan.columns))] = "stray"
    if shape == "spaces":
        return draw(st.sampled_from([b" ", b"   ", b"\t", b'""', b'" "']))
    if shape == "csv_note":
        # A quoted note holding lines that look like records of the header's width.
        column = _pad_column(plan)
        count = draw(st.integers(1, 12))
        line_end = _line_end(draw, draw(st.sampled_from(["\n", "\n", "\r\n", plan.style])))
        body = fake_lines(plan.columns, count, line_end, first=index * 100)
        lead = draw(st.sampled_from([b"", b"see:", line_end]))
        values[column] = lead + line_end + body + draw(st.sampled_from([b"", line_end]))
        styles[column] = "quoted"
    record = _encode_record(draw, plan, values, styles)
    if shape == "fields-":
        cut = record.rfind(b",")
        record = record[:cut] if cut > 0 else record + b",,"
    elif shape in ("fields+", "trailing_comma"):
        record += b"," if shape == "trailing_comma" else b",extra,more"
    elif shape == "long":
        record = draw(_long_record(plan, values))
    return record


@st.composite
def _long_record(draw: st.DrawFn, plan: _Plan, values: dict[str, bytes]) -> bytes:
    """A record around the limit: one long physical line, or short lines inside quotes adding
    up to more than it, the long line opening, closing or inside the quote."""
    limit = plan.max_record_bytes
    target = limit + draw(st.sampled_from([-1, 0, 1, 2, 17, limit // 2, limit * 3]))
    column = _pad_column(plan)
    mode = draw(st.sampled_from(["line", "short_lines", "opening", "closing", "inside"]))
    line_end = _line_end(draw, draw(st.sampled_from(["\n", "\r\n", "\r", plan.style])))
    values = dict(values)
    values[column] = b"@PAD@"
    base = _encode_record(draw, plan, values, {column: "raw"})
    room = max(0, target - (len(base) - len(b"@PAD@")))
    if mode == "line":
        if column in REQUIRED_COLUMNS:  # white space around a value is trimmed: still valid
            pad = b"POS" + b" " * max(0, room - 3)
        else:
            pad = (b"long note " * (room // 10 + 1))[:room]
    else:
        short = b"short"
        inner = room - 2  # the quotes
        if mode == "short_lines":
            unit = b"abc,def" + line_end
            pad_body = (unit * (inner // len(unit) + 1))[:inner]
            pad_body = pad_body.rstrip(b"\r\n").ljust(inner, b".")
        else:
            long_len = max(0, inner - 2 * (len(short) + len(line_end)))
            long = (b"x" * long_len)[:long_len]
            if mode == "opening":
                pad_body = long + line_end + short
            elif mode == "closing":
                pad_body = short + line_end + long
            else:
                pad_body = short + line_end + long + line_end + short
        pad = b'"' + pad_body + b'"'
        if column in REQUIRED_COLUMNS:
            pad = b'"POS' + pad_body[3:] + b'"'  # an invalid channel, but a long record
    return base.replace(b"@PAD@", pad)


@st.composite
def _header(draw: st.DrawFn, columns: list[str]) -> bytes:
    names = list(columns)
    defect = draw(
        st.sampled_from(
            ["none"] * 40
            + ["missing", "repeat", "line_break", "utf8", "nul", "spaces", "quoted", "tabs"]
        )
    )
    if defect == "missing":
        names.pop(draw(st.integers(0, len(names) - 1)))
    elif defect == "repeat":
        names.insert(draw(st.integers(0, len(names))), draw(st.sampled_from(names)))
    encoded = [n.encode() for n in names]
    if defect == "line_break":
        at = draw(st.integers(0, len(encoded) - 1))
        encoded[at] = b'"' + encoded[at] + draw(st.sampled_from([b"\n", b"\r", b"\r\n"])) + b'"'
    elif defect == "utf8":
        at = draw(st.integers(0, len(encoded) - 1))
        encoded[at] = encoded[at] + draw(st.sampled_from(INVALID_UTF8))
    elif defect == "nul":
        at = draw(st.integers(0, len(encoded) - 1))
        encoded[at] = encoded[at] + b"\x00"
    elif defect == "spaces":
        encoded = [b" " + e + b"  " for e in encoded]
    elif defect == "tabs":
        encoded = [b"\t" + e if i % 2 else e for i, e in enumerate(encoded)]
    elif defect == "quoted":
        encoded = [b'"' + e + b'"' if i % 2 else e for i, e in enumerate(encoded)]
    return b",".join(encoded)


@st.composite
def _files(draw: st.DrawFn, max_record_bytes: int) -> bytes:
    columns = list(draw(st.permutations(REQUIRED_COLUMNS)))
    for extra in draw(st.lists(st.sampled_from(EXTRA_COLUMNS), max_size=2, unique=True)):
        columns.insert(draw(st.integers(0, len(columns))), extra)
    style = draw(st.sampled_from(["\n", "\n", "\r\n", "\r", "mixed"]))
    tag = draw(st.sampled_from(["t", "T-", "id."]))
    plan = _Plan(columns, style, max_record_bytes, tag, draw(st.sampled_from(["hostile", "calm"])))
    out = bytearray()
    if draw(st.sampled_from([False] * 9 + [True])):
        out += b"\xef\xbb\xbf"
    for _ in range(draw(st.sampled_from([0] * 8 + [1, 2]))):
        out += _line_end(draw, style)
    if draw(st.sampled_from([False] * 99 + [True])):
        out += b"\xef\xbb\xbf"  # a byte-order mark that is not at the very start
    out += draw(_header(columns))
    if draw(st.sampled_from([False] * 49 + [True])):
        # The header's end at the 64 KiB edge: the byte-order mark, the empty lines before it
        # and its own bytes count (its line end does not). One more column, a long name.
        room = MAX_HEADER_BYTES - len(out) - 1 + draw(st.sampled_from([-1, 0, 1]))
        if room > 0:
            name = (b"x" * room).decode()
            columns.append(name)
            out += b"," + name.encode()
    ids: list[str] = []
    count = draw(st.integers(0, 50))
    kinds = ["row"] * 20 + ["empty"] * 2 + ["bulk"] * 2 + ["long_note"]
    pieces = [draw(st.sampled_from(kinds)) for _ in range(count)]
    index = 0
    for piece in pieces:
        out += _line_end(draw, style)
        if len(out) > MAX_FILE_BYTES // 2 and piece in ("bulk", "long_note"):
            piece = "row"  # keep files small
        if piece == "empty":
            out += _line_end(draw, style)
            index += 1
            out += draw(_record(plan, ids, index))
        elif piece == "bulk":
            count = draw(st.sampled_from([5, 20, 60, 200, 600]))
            rows = []
            for i in range(count):
                row = bulk_row(index + i, plan.tag + "b")
                for extra in columns:
                    row.setdefault(extra, "")
                rows.append(",".join(row[c] for c in columns).encode())
                ids.append(row["transaction_id"])
            index += count
            out += _line_end(draw, style).join(rows) if style != "mixed" else b"\n".join(rows)
        elif piece == "long_note":
            # A quoted note of CSV-looking lines, up to ~100 KB: a chunk cut can fall inside.
            index += 1
            values = _row_values(draw, plan, ids, index)
            column = _pad_column(plan)
            count = draw(st.sampled_from([20, 100, 400, 1300]))
            values[column] = b"\n" + fake_lines(columns, count, b"\n", first=index * 10_000)
            values[column] += draw(st.sampled_from([b"", b"\n"]))
            out += _encode_record(draw, plan, values, {column: "quoted"})
        else:
            index += 1
            out += draw(_record(plan, ids, index))
    ending = draw(st.sampled_from(["line_end"] * 6 + ["none", "none", "unterminated", "empty"]))
    if ending == "line_end":
        out += _line_end(draw, style)
    elif ending == "empty":
        out += _line_end(draw, style) + _line_end(draw, style)
    elif ending == "unterminated":
        # An unterminated quote near the end: a record opens a quote that nothing closes.
        index += 1
        values = _row_values(draw, plan, ids, index)
        column = draw(st.sampled_from(columns))
        lines = draw(st.sampled_from([0, 1, 2, 5, 5, 200, 1500]))
        tail = fake_lines(columns, lines, b"\n", first=index * 100)
        values[column] = b"@OPEN@"
        record = _encode_record(draw, plan, values, {column: "raw"})
        record = record.replace(b"@OPEN@", b'"open' + (b"\n" + tail if tail else b""))
        out += _line_end(draw, style) + record.replace(b'"', b"'").replace(b"'open", b'"open', 1)
        if draw(st.booleans()):
            out += b"\n"
    if draw(st.sampled_from([False] * 19 + [True])):
        # An unterminated quote early on: a record opens a quote, and no `"` comes after it, so
        # the rest of the file is that one record (every later chunk cut is inside it).
        line_starts = [k + 1 for k in range(len(out) - 1) if out[k] == 0x0A]
        if line_starts:
            at = line_starts[draw(st.integers(0, max(0, min(len(line_starts) - 1, 20))))]
            out = out[:at] + b'"' + bytes(out[at:]).replace(b'"', b"'")
    return bytes(out)


def hostile_files(max_record_bytes: int = 1024) -> st.SearchStrategy[bytes]:
    """Whole adversarial files (uncompressed bytes) for a reader whose record limit is
    ``max_record_bytes``."""
    return _files(max_record_bytes)

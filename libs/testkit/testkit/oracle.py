"""A reference implementation ("oracle") of the transaction-file contract, docs/data-contract.md.

Written from the document alone, never from the transform's or ingest's code, so that the
property-based differential tests (tests/integrity) compare two independent readings of the
same text. It is deliberately simple and slow: the file is read one byte at a time by a state
machine that follows "Reading records" sentence by sentence, UTF-8 is validated by hand, and
values are checked with ``decimal.Decimal`` and ``datetime``; no pyarrow, no csv reader.

Where the document is ambiguous or self-contradictory the most literal reading is taken and
marked ``# CONTRACT-QUESTION:`` (tests/integrity lists them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from pipeline_shared.contract import (
    CHANNELS,
    CODES_WITHOUT_MINOR_UNIT,
    COUNTRIES,
    CURRENCY_MINOR_UNITS,
    MAX_HEADER_BYTES,
    REQUIRED_COLUMNS,
)

WRITTEN, QUARANTINED, DUPLICATE = "written", "quarantined", "duplicate"

# Reasons the document spells out ("Reading records", "Row outcomes").
UNTERMINATED = "unterminated quoted field: the file ends inside it"
DUPLICATE_REASON = "duplicate transaction_id (first occurrence kept)"
RAW_LINE_LIMIT = 1024  # an over-long or unterminated record's raw_line: "its first 1,024 bytes"

_BOM = b"\xef\xbb\xbf"
_CR, _LF, _QUOTE, _COMMA = 0x0D, 0x0A, 0x22, 0x2C


def wrong_field_count(expected: int, found: int) -> str:
    return f"wrong number of fields: expected {expected}, found {found}"


def too_long(max_record_bytes: int) -> str:
    return f"record longer than {max_record_bytes} bytes"


@dataclass(frozen=True)
class RecordOutcome:
    number: int  # record number: the header is 1, empty lines are not counted
    start: int  # offset in the file of the record's first byte
    outcome: str  # "written" | "quarantined" | "duplicate"
    reasons: tuple[str, ...]
    raw_line: str | None  # quarantined records only
    values: dict[str, Any] | None  # written records only: the output columns

    @property
    def transaction_id(self) -> str | None:
        return None if self.values is None else self.values["transaction_id"]


@dataclass(frozen=True)
class Reference:
    rejected: str | None  # why the whole file is rejected, or None
    records: list[RecordOutcome]
    rows_read: int
    rows_written: int
    rows_quarantined: int
    duplicates: int


# ---------------------------------------------------------------------------------------------
# Reading records: a byte-at-a-time state machine.


@dataclass(frozen=True)
class _Record:
    start: int  # first byte of the record
    end: int  # the byte after the record's last byte (its line end, or the end of the file)
    fields: list[bytes]  # field contents as read: quotes removed, "" made one "
    unterminated: bool  # the file ended inside a quoted field of this record


# Field states.
_FIELD_START, _UNQUOTED, _QUOTED, _AFTER_QUOTE = range(4)


def _is_line_end(byte: int) -> bool:
    return byte in (_CR, _LF)


def _skip_line_end(data: bytes, i: int) -> int:
    """Past one line end at i: LF, CR, or CR LF (one line end)."""
    if data[i] == _CR and i + 1 < len(data) and data[i + 1] == _LF:
        return i + 2
    return i + 1


def _records(data: bytes, i: int) -> Iterator[_Record]:
    """Every record from offset i to the end of the file, skipping empty lines."""
    n = len(data)
    while i < n:
        # Between records: "An empty line (nothing between two line ends) is skipped".
        if _is_line_end(data[i]):
            i = _skip_line_end(data, i)
            continue
        start = i
        fields: list[bytes] = []
        field = bytearray()
        state = _FIELD_START
        unterminated = False
        while True:
            if i == n:
                if state == _QUOTED:
                    unterminated = True
                fields.append(bytes(field))
                end = i
                break
            byte = data[i]
            if state == _FIELD_START:
                if byte == _QUOTE:  # "A field whose first byte is `"` is quoted"
                    state = _QUOTED
                    i += 1
                    continue
                state = _UNQUOTED
            if state == _QUOTED:
                if byte == _QUOTE:
                    if i + 1 < n and data[i + 1] == _QUOTE:  # `""` stands for one `"`
                        field.append(_QUOTE)
                        i += 2
                        continue
                    state = _AFTER_QUOTE  # the closing quote
                    i += 1
                    continue
                field.append(byte)  # commas, CR and LF inside it are data
                i += 1
                continue
            # _UNQUOTED or _AFTER_QUOTE: runs to the next `,` or line end; `"` is ordinary.
            if byte == _COMMA:
                fields.append(bytes(field))
                field = bytearray()
                state = _FIELD_START
                i += 1
                continue
            if _is_line_end(byte):
                fields.append(bytes(field))
                end = i
                i = _skip_line_end(data, i)
                break
            field.append(byte)
            i += 1
        yield _Record(start, end, fields, unterminated)
        if unterminated:
            return


# ---------------------------------------------------------------------------------------------
# UTF-8, validated by hand (RFC 3629: shortest form, no surrogates, at most U+10FFFF).


def _utf8_valid(raw: bytes) -> bool:
    i, n = 0, len(raw)
    while i < n:
        b0 = raw[i]
        if b0 < 0x80:
            i += 1
            continue
        if 0xC2 <= b0 <= 0xDF:
            length, low, high = 2, 0x80, 0xBF
        elif b0 == 0xE0:
            length, low, high = 3, 0xA0, 0xBF  # no overlong 3-byte forms
        elif 0xE1 <= b0 <= 0xEC or 0xEE <= b0 <= 0xEF:
            length, low, high = 3, 0x80, 0xBF
        elif b0 == 0xED:
            length, low, high = 3, 0x80, 0x9F  # no surrogates (U+D800-U+DFFF)
        elif b0 == 0xF0:
            length, low, high = 4, 0x90, 0xBF  # no overlong 4-byte forms
        elif 0xF1 <= b0 <= 0xF3:
            length, low, high = 4, 0x80, 0xBF
        elif b0 == 0xF4:
            length, low, high = 4, 0x80, 0x8F  # nothing above U+10FFFF
        else:
            return False  # a continuation byte first, C0/C1 (overlong), or F5-FF
        if i + length > n:
            return False
        if not low <= raw[i + 1] <= high:
            return False
        for k in range(2, length):
            if not 0x80 <= raw[i + k] <= 0xBF:
                return False
        i += length
    return True


# ---------------------------------------------------------------------------------------------
# Value rules (the "Columns" table), in the table's order.

ID_REASON = "{}: missing or not 1-64 of [A-Za-z0-9_.:-]"
TIMESTAMP_FORM = "timestamp: not ISO 8601 with a UTC offset or Z"
TIMESTAMP_REAL = "timestamp: not a real date and time"
TIMESTAMP_RANGE = "timestamp: outside years 0001-9999 in UTC"
AMOUNT_FORM = "amount: not a decimal number"
AMOUNT_DECIMALS = "amount: more decimals than the currency's minor unit"
CURRENCY_NO_MINOR_UNIT = (
    "currency: ISO 4217 code without a minor unit (metal, fund or test code), "
    "not a currency of payment"
)
CURRENCY_UNKNOWN = "currency: not an ISO 4217 code"
MCC_REASON = "mcc: not 4 digits"
COUNTRY_REASON = "country: not an ISO 3166-1 alpha-2 code"
CHANNEL_REASON = "channel: not one of ATM, ECOM, MOTO, POS, RECURRING, TRANSFER"
UTF8_REASON = "{}: not valid UTF-8"

# "trimmed of surrounding ASCII white space (space, tab, CR, LF, VT, FF)"
_ASCII_WHITE = frozenset(b" \t\r\n\x0b\x0c")
_DIGITS = frozenset(b"0123456789")
_UPPER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz")
_ID_FIRST = _UPPER | _LOWER | _DIGITS
_ID_CHARS = _ID_FIRST | frozenset(b"_.:-")
_MAX_INTEGER_DIGITS = 18  # decimal128(22, 4): 22 - 4
_OUTPUT_SCALE = 4


def _trim(raw: bytes) -> bytes:
    start, end = 0, len(raw)
    while start < end and raw[start] in _ASCII_WHITE:
        start += 1
    while end > start and raw[end - 1] in _ASCII_WHITE:
        end -= 1
    return raw[start:end]


def _ascii_upper(raw: bytes) -> bytes:
    """Only ASCII letters change (`u` + long s + `d` stays what it is and matches no code)."""
    return bytes(b - 32 if b in _LOWER else b for b in raw)


def _ascii_letters(raw: bytes, count: int) -> bool:
    return len(raw) == count and all(b in _UPPER or b in _LOWER for b in raw)


def _check_id(raw: bytes) -> bool:
    return 1 <= len(raw) <= 64 and raw[0] in _ID_FIRST and all(b in _ID_CHARS for b in raw)


def _number(raw: bytes, start: int, count: int) -> int | None:
    """The ASCII digits raw[start:start+count] as an int, or None."""
    piece = raw[start : start + count]
    if len(piece) != count or any(b not in _DIGITS for b in piece):
        return None
    value = 0
    for b in piece:
        value = value * 10 + (b - 0x30)
    return value


def _is_leap(year: int) -> bool:
    """Proleptic Gregorian, where 0000 is a leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@cache
def _days_before_year(year: int) -> int:
    """Days from 0000-01-01 to the first day of year (plain counting, no calendar formula)."""
    return sum(366 if _is_leap(y) else 365 for y in range(year))


def _days_before(year: int, month: int, day: int) -> int:
    """Days from 0000-01-01 to the given date (proleptic Gregorian, year 0 included)."""
    days = _days_before_year(year)
    for m in range(1, month):
        days += _days_in_month(year, m)
    return days + day - 1


_DAYS_TO_0001 = 366  # 0000 is a leap year
_MIN_UTC_US = 0  # 0001-01-01T00:00:00Z, counted from 0001-01-01
_MAX_UTC_US = (
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999) - dt.datetime(1, 1, 1)
) // dt.timedelta(microseconds=1)


def _check_timestamp(raw: bytes) -> tuple[str | None, dt.datetime | None]:
    # Form: YYYY-MM-DD, T or one space, hh:mm:ss, optionally . and 1-6 digits, then Z, z,
    # +hh:mm, -hh:mm, +hhmm or -hhmm (hh 00-23, mm 00-59); every digit ASCII.
    year, month, day = _number(raw, 0, 4), _number(raw, 5, 2), _number(raw, 8, 2)
    hour, minute, second = _number(raw, 11, 2), _number(raw, 14, 2), _number(raw, 17, 2)
    parts = (year, month, day, hour, minute, second)
    if (
        any(p is None for p in parts)
        or raw[4:5] != b"-"
        or raw[7:8] != b"-"
        or raw[10:11] not in (b"T", b" ")
        or raw[13:14] != b":"
        or raw[16:17] != b":"
    ):
        return TIMESTAMP_FORM, None
    i = 19
    micro = 0
    if raw[i : i + 1] == b".":
        j = i + 1
        while j < len(raw) and raw[j] in _DIGITS:
            j += 1
        digits = raw[i + 1 : j]
        if not 1 <= len(digits) <= 6:
            return TIMESTAMP_FORM, None
        micro = _number(digits.ljust(6, b"0"), 0, 6) or 0
        i = j
    rest = raw[i:]
    if rest in (b"Z", b"z"):
        offset_minutes = 0
    elif rest[:1] in (b"+", b"-"):
        if len(rest) == 6 and rest[3:4] == b":":
            off_h, off_m = _number(rest, 1, 2), _number(rest, 4, 2)
        elif len(rest) == 5:
            off_h, off_m = _number(rest, 1, 2), _number(rest, 3, 2)
        else:
            return TIMESTAMP_FORM, None
        if off_h is None or off_m is None or off_h > 23 or off_m > 59:
            return TIMESTAMP_FORM, None
        offset_minutes = (off_h * 60 + off_m) * (1 if rest[:1] == b"+" else -1)
    else:
        return TIMESTAMP_FORM, None
    assert year is not None and month is not None and day is not None
    assert hour is not None and minute is not None and second is not None
    # Real: month 01-12, a day that month has, hour 00-23, minute and second 00-59.
    if not (1 <= month <= 12) or not (1 <= day <= _days_in_month(year, month)):
        return TIMESTAMP_REAL, None
    if hour > 23 or minute > 59 or second > 59:
        return TIMESTAMP_REAL, None
    # Range: the instant in UTC (the written time minus its offset), 0001-01-01T00:00:00Z to
    # 9999-12-31T23:59:59.999999Z. Counted in microseconds from 0001-01-01 so that a written
    # year 0000 works (datetime has no year 0).
    local_seconds = (_days_before(year, month, day) - _DAYS_TO_0001) * 86400
    local_seconds += hour * 3600 + minute * 60 + second
    utc_us = (local_seconds - offset_minutes * 60) * 1_000_000 + micro
    if not _MIN_UTC_US <= utc_us <= _MAX_UTC_US:
        return TIMESTAMP_RANGE, None
    moment = dt.datetime(1, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=utc_us)
    return None, moment


def _amount_form(raw: bytes) -> tuple[bool, bytes, bytes, bytes]:
    """(well formed, sign, integer digits, fraction digits)."""
    i = 0
    sign = b""
    if raw[:1] in (b"+", b"-"):
        sign, i = raw[:1], 1
    j = i
    while j < len(raw) and raw[j] in _DIGITS:
        j += 1
    integer = raw[i:j]
    if not integer:
        return False, b"", b"", b""
    fraction = b""
    if j < len(raw):
        if raw[j : j + 1] != b".":
            return False, b"", b"", b""
        k = j + 1
        # CONTRACT-QUESTION: "optionally `.` followed by 1 or more digits" does not repeat
        # "ASCII" for the fraction; read as ASCII digits like the integer part ("1.\u0665" is
        # not a decimal number).
        while k < len(raw) and raw[k] in _DIGITS:
            k += 1
        fraction = raw[j + 1 : k]
        if not fraction or k != len(raw):  # `1.` is rejected
            return False, b"", b"", b""
    significant = integer.lstrip(b"0")  # leading zeros do not count, however many
    if len(significant) > _MAX_INTEGER_DIGITS:
        return False, b"", b"", b""
    return True, sign, integer, fraction


def _amount_value(sign: bytes, integer: bytes, fraction: bytes) -> Decimal:
    digits = (integer.lstrip(b"0") or b"0") + fraction.ljust(_OUTPUT_SCALE, b"0")
    value = Decimal(digits.decode()).scaleb(-_OUTPUT_SCALE)
    if sign == b"-" and value != 0:  # `-0.00` is 0
        value = -value
    return value.quantize(Decimal(1).scaleb(-_OUTPUT_SCALE))


def _check_values(names: list[str], fields: list[bytes]) -> tuple[list[str], dict[str, Any]]:
    """The reasons a record of the right width breaks (the columns table's order, then the
    UTF-8 rule), and its output values when it breaks none."""
    utf8_reasons = []
    by_name: dict[str, bytes] = {}
    for name, raw in zip(names, fields, strict=True):
        if not _utf8_valid(raw):
            utf8_reasons.append(UTF8_REASON.format(name))
            raw = b""  # "then checked as an empty value"
        if name in REQUIRED_COLUMNS:
            by_name[name] = _trim(raw)
    reasons: list[str] = []
    values: dict[str, Any] = {}

    def ident(column: str) -> None:
        if _check_id(by_name[column]):
            values[column] = by_name[column].decode("ascii")
        else:
            reasons.append(ID_REASON.format(column))

    ident("transaction_id")
    ident("account_id")

    reason, moment = _check_timestamp(by_name["timestamp"])
    if reason:
        reasons.append(reason)
    else:
        values["timestamp"] = moment
        assert moment is not None
        values["transaction_date"] = moment.date()

    currency = _ascii_upper(by_name["currency"])
    currency_reason = None
    if not _ascii_letters(currency, 3):
        currency_reason = CURRENCY_UNKNOWN
    elif currency.decode() in CODES_WITHOUT_MINOR_UNIT:
        currency_reason = CURRENCY_NO_MINOR_UNIT
    elif currency.decode() not in CURRENCY_MINOR_UNITS:
        currency_reason = CURRENCY_UNKNOWN

    well_formed, sign, integer, fraction = _amount_form(by_name["amount"])
    if not well_formed:
        reasons.append(AMOUNT_FORM)
    else:
        # Decimals: at most the currency's minor unit, or at most 4 when the currency is
        # rejected; trailing zeros included.
        allowed = 4 if currency_reason else CURRENCY_MINOR_UNITS[currency.decode()]
        if len(fraction) > allowed:
            reasons.append(AMOUNT_DECIMALS)
        else:
            values["amount"] = _amount_value(sign, integer, fraction)

    if currency_reason:
        reasons.append(currency_reason)
    else:
        values["currency"] = currency.decode()

    ident("merchant_id")

    mcc = by_name["mcc"]
    if len(mcc) == 4 and all(b in _DIGITS for b in mcc):
        values["mcc"] = mcc.decode()
    else:
        reasons.append(MCC_REASON)

    country = _ascii_upper(by_name["country"])
    if _ascii_letters(country, 2) and country.decode() in COUNTRIES:
        values["country"] = country.decode()
    else:
        reasons.append(COUNTRY_REASON)

    channel = _ascii_upper(by_name["channel"])
    if all(b < 0x80 for b in channel) and channel.decode() in CHANNELS:
        values["channel"] = channel.decode()
    else:
        reasons.append(CHANNEL_REASON)

    return reasons + utf8_reasons, values


# ---------------------------------------------------------------------------------------------
# raw_line.


def _text_as_read(data: bytes, record: _Record, limit: int | None = None) -> str:
    """The record's bytes as read (its line end excluded), or their first ``limit`` bytes,
    "decoded as UTF-8 with each invalid byte sequence replaced by U+FFFD" (a character cut at
    the limit included)."""
    end = record.end if limit is None else min(record.end, record.start + limit)
    return data[record.start : end].decode("utf-8", "replace")


def _reencoded(fields: list[bytes]) -> str:
    # "the row's fields re-encoded as CSV (Python's csv.writer, minimal quoting, invalid UTF-8
    # replaced likewise)": the fields as read, before trimming; the whole row.
    out = io.StringIO()
    csv.writer(out).writerow([f.decode("utf-8", "replace") for f in fields])
    return out.getvalue().removesuffix("\r\n")


# ---------------------------------------------------------------------------------------------
# The file.


def _reject(reason: str) -> Reference:
    return Reference(reason, [], 0, 0, 0, 0)


def _header(data: bytes) -> tuple[str | None, list[str], int]:
    """(rejection, names, offset of the first data byte)."""
    if not data:
        return "the object is empty", [], 0
    i = len(_BOM) if data.startswith(_BOM) else 0  # only at the very start
    while i < len(data) and _is_line_end(data[i]):  # empty lines before the header
        i = _skip_line_end(data, i)
    if i == len(data):
        return "the file holds only empty lines", [], 0
    header = next(_records(data, i))
    body = data[header.start : header.end]
    if header.unterminated:
        # CONTRACT-QUESTION: a header whose quote the file never closes: the doc names only "a
        # line break inside a quoted name"; without one the header cannot be quarantined (it is
        # not a row), so the file is rejected as well.
        return "the header row has a quote that is never closed", [], 0
    if b"\r" in body or b"\n" in body:
        return "the header row has a line break inside a quoted name", [], 0
    # "it must end within the file's first 65,536 bytes: the byte-order mark, any empty lines
    # before it and the header's own bytes (its line end not counted) may add up to at most
    # 65,536."
    if header.end > MAX_HEADER_BYTES:
        return f"the header row does not end within the first {MAX_HEADER_BYTES} bytes", [], 0
    if b"\x00" in body:
        return "the header row has NUL bytes", [], 0
    if not all(_utf8_valid(f) for f in header.fields):
        return "the header row is not UTF-8", [], 0
    # Names "are trimmed of surrounding ASCII white space (space, tab, CR, LF, VT, FF), like
    # values".
    names = [_trim(f).decode("utf-8") for f in header.fields]
    if len(set(names)) != len(names):
        return "a column name repeats", [], 0
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return f"the header row lacks required column(s) {', '.join(missing)}", [], 0
    after = header.end if header.end == len(data) else _skip_line_end(data, header.end)
    return None, names, after


def reference(data: bytes, *, max_record_bytes: int = 1 << 20) -> Reference:
    """What the contract says becomes of every record of a whole (uncompressed) file."""
    rejected, names, i = _header(data)
    if rejected:
        return _reject(rejected)
    width = len(names)
    outcomes: list[RecordOutcome] = []
    seen: set[str] = set()
    for number, record in enumerate(_records(data, i), start=2):
        reasons: list[str]
        if record.unterminated:  # wins over the over-long reason
            reasons = [UNTERMINATED]
            raw_line = _text_as_read(data, record, RAW_LINE_LIMIT)
        elif record.end - record.start > max_record_bytes:
            # "A row with a wrong field count, an over-long or an unterminated record has that
            # one reason": an over-long record's field count is not looked at.
            reasons = [too_long(max_record_bytes)]
            raw_line = _text_as_read(data, record, RAW_LINE_LIMIT)
        elif len(record.fields) != width:
            reasons = [wrong_field_count(width, len(record.fields))]
            raw_line = _text_as_read(data, record)
        else:
            reasons, values = _check_values(names, record.fields)
            raw_line = _reencoded(record.fields)
            if not reasons:
                tid = values["transaction_id"]
                if tid in seen:
                    outcomes.append(
                        RecordOutcome(
                            number, record.start, DUPLICATE, (DUPLICATE_REASON,), None, None
                        )
                    )
                else:
                    seen.add(tid)
                    outcomes.append(RecordOutcome(number, record.start, WRITTEN, (), None, values))
                continue
        outcomes.append(
            RecordOutcome(number, record.start, QUARANTINED, tuple(reasons), raw_line, None)
        )
    return Reference(
        rejected=None,
        records=outcomes,
        rows_read=len(outcomes),
        rows_written=sum(o.outcome == WRITTEN for o in outcomes),
        rows_quarantined=sum(o.outcome == QUARANTINED for o in outcomes),
        duplicates=sum(o.outcome == DUPLICATE for o in outcomes),
    )

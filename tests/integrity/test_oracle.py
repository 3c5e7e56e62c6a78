"""The oracle (testkit.oracle) alone, on hand-written cases taken from docs/data-contract.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from testkit import oracle
from testkit.oracle import reference

from pipeline_shared.contract import CODES_WITHOUT_MINOR_UNIT, REQUIRED_COLUMNS

COLUMNS = REQUIRED_COLUMNS
HEADER = ",".join(COLUMNS).encode()
VALID = {
    "transaction_id": "t1",
    "account_id": "a1",
    "timestamp": "2024-05-01T10:00:00Z",
    "amount": "1.00",
    "currency": "USD",
    "merchant_id": "m1",
    "mcc": "5411",
    "country": "US",
    "channel": "POS",
}


def row(**changes: str) -> bytes:
    values = {**VALID, **changes}
    return ",".join(values[c] for c in COLUMNS).encode()


def one(record: bytes, *, header: bytes = HEADER, **kwargs: int) -> oracle.RecordOutcome:
    result = reference(header + b"\n" + record + b"\n", **kwargs)
    assert result.rejected is None, result.rejected
    assert len(result.records) == 1, result.records
    return result.records[0]


def reasons_of(**changes: str) -> tuple[str, ...]:
    return one(row(**changes)).reasons


# --- a valid row and its values ----------------------------------------------------------------


def test_a_valid_row_is_written_with_its_output_values() -> None:
    outcome = one(row(currency=" usd ", country="us", channel="Ecom", amount="-1.5"))
    assert outcome.outcome == "written"
    assert outcome.number == 2
    assert outcome.start == len(HEADER) + 1
    assert outcome.raw_line is None
    assert outcome.values == {
        "transaction_id": "t1",
        "account_id": "a1",
        "timestamp": dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC),
        "transaction_date": dt.date(2024, 5, 1),
        "amount": Decimal("-1.5000"),
        "currency": "USD",
        "merchant_id": "m1",
        "mcc": "5411",
        "country": "US",
        "channel": "ECOM",
    }
    assert outcome.values["amount"].as_tuple().exponent == -4


def test_totals_and_the_accounting_identity() -> None:
    data = HEADER + b"\n" + row() + b"\n" + row() + b"\n" + row(mcc="1") + b"\n"
    result = reference(data)
    assert [r.outcome for r in result.records] == ["written", "duplicate", "quarantined"]
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (3, 1, 1)
    assert result.duplicates == 1
    assert result.rows_read == result.rows_written + result.rows_quarantined + result.duplicates


# --- identifiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a", "0", "A" * 64, "a_b.c:d-e", " x1\t", "9-"])
def test_ids_that_follow_the_rule(value: str) -> None:
    assert reasons_of(transaction_id=value, account_id=value, merchant_id=value) == ()


@pytest.mark.parametrize(
    "value", ["", "A" * 65, "_a", ".a", ":a", "-a", "a b", "é1", "a/b", "\uff46"]
)
def test_ids_that_break_the_rule(value: str) -> None:
    assert reasons_of(transaction_id=value, account_id=value, merchant_id=value) == (
        "transaction_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        "account_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        "merchant_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
    )


# --- timestamp ------------------------------------------------------------------------------------

FORM, REAL, RANGE = oracle.TIMESTAMP_FORM, oracle.TIMESTAMP_REAL, oracle.TIMESTAMP_RANGE


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2024-05-01T10:00:00Z", dt.datetime(2024, 5, 1, 10)),
        ("2024-05-01T10:00:00z", dt.datetime(2024, 5, 1, 10)),
        ("2024-05-01 10:00:00.123+02:00", dt.datetime(2024, 5, 1, 8, 0, 0, 123000)),
        ("2024-05-01T10:00:00-0530", dt.datetime(2024, 5, 1, 15, 30)),
        ("2024-05-01T10:00:00.000001+23:59", dt.datetime(2024, 4, 30, 10, 1, 0, 1)),
        ("2024-05-01T10:00:00.999999-23:59", dt.datetime(2024, 5, 2, 9, 59, 0, 999999)),
        ("2024-02-29T00:00:00Z", dt.datetime(2024, 2, 29)),
        ("2000-02-29T23:59:59Z", dt.datetime(2000, 2, 29, 23, 59, 59)),
        ("0000-12-31T23:30:00-01:00", dt.datetime(1, 1, 1, 0, 30)),
        ("0001-01-01T00:00:00Z", dt.datetime(1, 1, 1)),
        ("0001-01-01T00:30:00-00:00", dt.datetime(1, 1, 1, 0, 30)),
        ("9999-12-31T23:59:59.999999Z", dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
        ("9999-12-31T23:59:59+14:00", dt.datetime(9999, 12, 31, 9, 59, 59)),
        ("2024-12-31T23:30:00-01:00", dt.datetime(2025, 1, 1, 0, 30)),
        (" 2024-05-01T10:00:00Z\t", dt.datetime(2024, 5, 1, 10)),
    ],
)
def test_timestamps_that_are_accepted(value: str, utc: dt.datetime) -> None:
    outcome = one(row(timestamp=value))
    assert outcome.outcome == "written", outcome.reasons
    assert outcome.values is not None
    assert outcome.values["timestamp"] == utc.replace(tzinfo=dt.UTC)
    assert outcome.values["timestamp"].tzinfo == dt.UTC
    assert outcome.values["transaction_date"] == utc.date()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-05-01T10:00:00", FORM),  # no offset
        ("2024-05-01T10:00:00+05", FORM),
        ("2024-05-01T10:00:00+24:00", FORM),
        ("2024-05-01T10:00:00+00:60", FORM),
        ("2024-05-01T10:00:00+05:99", FORM),
        ("2024-05-01T10:00:00.1234567Z", FORM),  # a 7th fraction digit
        ("2024-05-01t10:00:00Z", FORM),
        ("2024-05-01T10:00:00.Z", FORM),
        ("2024-05-01T10:00Z", FORM),
        ("2024-05-01  10:00:00Z", FORM),  # two spaces
        ("2024-05-01T10:00:00 Z", FORM),
        ("2024-05-01T10:00:00+0:000", FORM),
        ("\uff12\uff10\uff12\uff14-05-01T10:00:00Z", FORM),
        ("2024-05-01T10:00:00\uff3a", FORM),
        ("10000-01-01T00:00:00Z", FORM),
        ("", FORM),
        ("2023-02-29T00:00:00Z", REAL),
        ("1900-02-29T00:00:00Z", REAL),
        ("2024-04-31T00:00:00Z", REAL),
        ("2024-00-10T00:00:00Z", REAL),
        ("2024-13-10T00:00:00Z", REAL),
        ("2024-01-00T00:00:00Z", REAL),
        ("2024-05-01T24:00:00Z", REAL),
        ("2024-05-01T23:60:00Z", REAL),
        ("2024-05-01T23:59:60Z", REAL),
        ("0001-01-01T00:30:00+01:00", RANGE),
        ("9999-12-31T23:59:59-14:00", RANGE),
        ("0000-02-29T12:00:00Z", RANGE),  # 0000 is a leap year: real, but out of range
        ("0000-12-31T23:59:59.999999Z", RANGE),
        ("9999-12-31T23:59:59-00:01", RANGE),
    ],
)
def test_timestamps_that_are_rejected(value: str, reason: str) -> None:
    assert reasons_of(timestamp=value) == (reason,)


# --- amount ---------------------------------------------------------------------------------------

AMOUNT_FORM, DECIMALS = oracle.AMOUNT_FORM, oracle.AMOUNT_DECIMALS


@pytest.mark.parametrize(
    ("amount", "currency", "value"),
    [
        ("0000000000000000001.00", "USD", "1.0000"),
        ("999999999999999999.99", "USD", "999999999999999999.9900"),
        ("-999999999999999999", "JPY", "-999999999999999999.0000"),
        ("00000000000000000000000123456789012345678", "JPY", "123456789012345678.0000"),
        ("-0.00", "USD", "0.0000"),
        ("+1", "USD", "1.0000"),
        ("1.234", "KWD", "1.2340"),
        ("1.2345", "CLF", "1.2345"),
        ("12", "JPY", "12.0000"),
    ],
)
def test_amounts_that_are_accepted(amount: str, currency: str, value: str) -> None:
    outcome = one(row(amount=amount, currency=currency))
    assert outcome.outcome == "written", outcome.reasons
    assert outcome.values is not None
    assert str(outcome.values["amount"]) == value


@pytest.mark.parametrize(
    ("amount", "currency", "reasons"),
    [
        ("1234567890123456789", "USD", (AMOUNT_FORM,)),
        ("1.", "USD", (AMOUNT_FORM,)),
        (".5", "USD", (AMOUNT_FORM,)),
        ("1e3", "USD", (AMOUNT_FORM,)),
        ('"1,000"', "USD", (AMOUNT_FORM,)),
        ("1 000", "USD", (AMOUNT_FORM,)),
        ("+-1", "USD", (AMOUNT_FORM,)),
        ("", "USD", (AMOUNT_FORM,)),
        ("١٢", "USD", (AMOUNT_FORM,)),
        ("NaN", "USD", (AMOUNT_FORM,)),
        ("1.\u0665", "USD", (AMOUNT_FORM,)),  # the fraction's digits are ASCII too
        ("-", "USD", (AMOUNT_FORM,)),
        ("1.500", "USD", (DECIMALS,)),  # trailing zeros count
        ("1.0", "JPY", (DECIMALS,)),
        ("1.2345", "KWD", (DECIMALS,)),
        # the currency rejected: at most 4 decimals
        ("1.2345", "ZZZ", (oracle.CURRENCY_UNKNOWN,)),
        ("1.23456", "ZZZ", (DECIMALS, oracle.CURRENCY_UNKNOWN)),
        ("1.23456", "XAU", (DECIMALS, oracle.CURRENCY_NO_MINOR_UNIT)),
        # decimals are checked only when the form holds
        ("1.2.3456789", "USD", (AMOUNT_FORM,)),
    ],
)
def test_amounts_that_are_rejected(amount: str, currency: str, reasons: tuple[str, ...]) -> None:
    assert reasons_of(amount=amount, currency=currency) == reasons


# --- codes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CODES_WITHOUT_MINOR_UNIT))
def test_iso_codes_without_a_minor_unit_have_their_own_reason(code: str) -> None:
    assert reasons_of(currency=code.lower(), amount="1") == (oracle.CURRENCY_NO_MINOR_UNIT,)


@pytest.mark.parametrize(
    "code", ["u\u017fd", "\uff35\uff33\uff24", "US", "USDD", "XBT", "U S", "USD\u00a0", ""]
)
def test_currencies_that_are_not_iso_codes(code: str) -> None:
    assert reasons_of(currency=code, amount="1") == (oracle.CURRENCY_UNKNOWN,)


@pytest.mark.parametrize("code", ["usd", "Usd", "\tjpy\x0b", "XOF", "xcd", "CLF"])
def test_currencies_case_insensitive_and_trimmed(code: str) -> None:
    assert reasons_of(currency=code, amount="1") == ()


@pytest.mark.parametrize(
    "mcc", ["541", "54111", "5 411", "+541", "٥٤١١", "\uff15\uff14\uff11\uff11", ""]
)
def test_mcc_not_four_ascii_digits(mcc: str) -> None:
    assert reasons_of(mcc=mcc) == ("mcc: not 4 digits",)


def test_mcc_keeps_leading_zeros() -> None:
    values = one(row(mcc=" 0742 ")).values
    assert values is not None and values["mcc"] == "0742"


@pytest.mark.parametrize("country", ["\u0131t", "UK", "XK", "USA", "\uff35\uff33", "\u0130T", ""])
def test_countries_that_are_rejected(country: str) -> None:
    assert reasons_of(country=country) == ("country: not an ISO 3166-1 alpha-2 code",)


@pytest.mark.parametrize("channel", ["tran\u017ffer", "CARD", "POS\u00a0", "P0S", "", "RECURRİNG"])
def test_channels_that_are_rejected(channel: str) -> None:
    assert reasons_of(channel=channel) == (
        "channel: not one of ATM, ECOM, MOTO, POS, RECURRING, TRANSFER",
    )


def test_every_rule_a_row_breaks_in_the_table_order() -> None:
    record = b",".join([b"_", b"", b"x", b"1.", b"ZZZ", b"", b"1", b"", b""])
    assert one(record).reasons == (
        "transaction_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        "account_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        "timestamp: not ISO 8601 with a UTC offset or Z",
        "amount: not a decimal number",
        "currency: not an ISO 4217 code",
        "merchant_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        "mcc: not 4 digits",
        "country: not an ISO 3166-1 alpha-2 code",
        "channel: not one of ATM, ECOM, MOTO, POS, RECURRING, TRANSFER",
    )


# --- UTF-8 ----------------------------------------------------------------------------------------


def test_invalid_utf8_in_a_dropped_column_is_quarantined() -> None:
    outcome = one(row() + b",ok\xff", header=HEADER + b",note")
    assert outcome.outcome == "quarantined"
    assert outcome.reasons == ("note: not valid UTF-8",)
    assert outcome.raw_line == row().decode() + ",ok\ufffd"


def test_invalid_utf8_in_a_required_column_breaks_its_rule_as_well() -> None:
    outcome = one(row(country="U\xc3"[:1]).replace(b",U,", b",U\xc3,"))
    assert outcome.reasons == (
        "country: not an ISO 3166-1 alpha-2 code",
        "country: not valid UTF-8",
    )


@pytest.mark.parametrize(
    "bad", [b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf4\x90\x80\x80", b"\x80"]
)
def test_utf8_validation_rejects_every_malformed_form(bad: bytes) -> None:
    assert not oracle._utf8_valid(bad)
    assert not oracle._utf8_valid(b"ab" + bad + b"cd")


@pytest.mark.parametrize("good", ["é", "€", "𝄞", "\U0010ffff", "\ud7ff", "\ue000"])
def test_utf8_validation_accepts_every_valid_form(good: str) -> None:
    assert oracle._utf8_valid(good.encode())


def test_valid_non_ascii_in_a_dropped_column_is_written() -> None:
    assert one(row() + ",日本 ü".encode(), header=HEADER + b",note").outcome == "written"


# --- reading records ------------------------------------------------------------------------------


def test_empty_lines_are_skipped_and_not_counted() -> None:
    data = b"\n\r\n" + HEADER + b"\n\n\r\n\r" + row() + b"\n\n" + row(transaction_id="t2", mcc="x")
    result = reference(data)
    assert [r.number for r in result.records] == [2, 3]
    assert result.records[1].reasons == ("mcc: not 4 digits",)
    assert result.records[1].start == data.index(b"t2")


def test_cr_only_files_are_read() -> None:
    data = HEADER + b"\r" + row() + b"\r" + row(transaction_id="t2") + b"\r"
    result = reference(data)
    assert [r.outcome for r in result.records] == ["written", "written"]


def test_mixed_line_ends_and_no_final_line_end() -> None:
    data = (
        HEADER
        + b"\r\n"
        + row()
        + b"\n"
        + row(transaction_id="t2")
        + b"\r"
        + row(transaction_id="t3")
    )
    assert [r.number for r in reference(data).records] == [2, 3, 4]


def test_lf_then_cr_is_an_empty_line_but_cr_lf_is_one_line_end() -> None:
    data = HEADER + b"\n\r" + row() + b"\r\n" + row(transaction_id="t2")
    assert [r.number for r in reference(data).records] == [2, 3]


def test_a_line_of_spaces_is_a_record_of_one_field() -> None:
    outcome = one(b"   ")
    assert outcome.reasons == ("wrong number of fields: expected 9, found 1",)
    assert outcome.raw_line == "   "


def test_text_after_a_closing_quote_is_appended() -> None:
    # `"ab"c` reads `abc`
    outcome = one(row(country='"U"S'))
    assert outcome.outcome == "written"
    outcome = one(row(country='"U"S"'))  # a `"` after the closing quote is ordinary
    assert outcome.reasons == ("country: not an ISO 3166-1 alpha-2 code",)
    assert outcome.raw_line == row(country='"US"""')[0:].decode()


def test_a_quote_inside_an_unquoted_field_is_ordinary() -> None:
    # `ab"c` reads `ab"c`
    data = HEADER + b",note\n" + row() + b',ab"c\n'
    result = reference(data)
    assert result.records[0].outcome == "written"
    outcome = one(row(merchant_id='m"1'))
    assert outcome.reasons == ("merchant_id: missing or not 1-64 of [A-Za-z0-9_.:-]",)
    assert outcome.raw_line == row(merchant_id='"m""1"').decode()


def test_quoted_fields_hold_commas_doubled_quotes_and_line_breaks() -> None:
    note = b'"a,b ""c""\r\nfake-000001,acct-9,2024-05-01T10:00:00Z,1.00,USD,m-9,5411,US,POS,x\rz"'
    data = HEADER + b",note\n" + row() + b"," + note + b"\n" + row(transaction_id="t2") + b",\n"
    result = reference(data)
    assert [(r.number, r.outcome) for r in result.records] == [(2, "written"), (3, "written")]


def test_quoted_required_value_reencoded_as_csv() -> None:
    outcome = one(row(transaction_id='"a,b"', account_id='"x""y"', mcc='"1\n2"'))
    assert (
        outcome.raw_line == row(transaction_id='"a,b"', account_id='"x""y"', mcc='"1\n2"').decode()
    )


def test_raw_line_identical_to_the_input_when_no_quoting_was_needed() -> None:
    record = row(mcc=" 12 ", country="  us")
    assert one(record).raw_line == record.decode()


def test_wrong_field_count_raw_line_is_the_text_as_read() -> None:
    record = row() + b',"x\ny"'
    outcome = one(record)
    assert outcome.reasons == ("wrong number of fields: expected 9, found 10",)
    assert outcome.raw_line == record.decode()


def test_wrong_field_count_raw_line_is_the_whole_record_with_invalid_utf8_replaced() -> None:
    record = row() + b',"' + b"\xff" + b"z" * 2000 + b'"'  # under the limit, over 1 KiB
    outcome = one(record, max_record_bytes=4096)
    assert outcome.reasons == ("wrong number of fields: expected 9, found 10",)
    assert outcome.raw_line == record.decode("utf-8", "replace")
    assert len(outcome.raw_line or "") > 2000


def test_over_long_raw_line_is_its_first_1024_bytes_a_cut_character_replaced() -> None:
    record = b"x" + "é".encode() * 700  # byte 1024 falls inside an é
    outcome = one(record, max_record_bytes=1200)
    assert outcome.raw_line == "x" + "é" * 511 + "\ufffd"


def test_unterminated_quote_quarantines_the_rest_of_the_file_as_one_row() -> None:
    tail = b't2,a1,"oops\n' + row(transaction_id="t3") + b"\n" + row(transaction_id="t4") + b"\n"
    data = HEADER + b"\n" + row() + b"\n" + tail
    result = reference(data, max_record_bytes=64)
    assert [r.outcome for r in result.records] == ["written", "quarantined"]
    last = result.records[1]
    assert last.number == 3
    assert last.reasons == ("unterminated quoted field: the file ends inside it",)  # wins
    assert last.raw_line == tail.decode()
    assert result.rows_read == 2


def test_an_unterminated_quote_is_not_a_wrong_field_count() -> None:
    outcome = one(b'"')
    assert outcome.reasons == (oracle.UNTERMINATED,)


@pytest.mark.parametrize("extra", [0, 1])
def test_over_long_records_at_the_limit(extra: int) -> None:
    record = row(channel="POS" + " " * 10)
    limit = len(record) - extra  # extra=0: exactly the limit, still read
    outcome = one(record, max_record_bytes=limit)
    if extra:
        assert outcome.reasons == (f"record longer than {limit} bytes",)
        assert outcome.raw_line == record.decode()
    else:
        assert outcome.outcome == "written"


def test_an_over_long_record_of_short_lines_inside_quotes_is_one_row() -> None:
    note = b'"' + b"abc\n" * 300 + b'"'
    data = HEADER + b",note\n" + row() + b"," + note + b"\n" + row(transaction_id="t2") + b",x\n"
    result = reference(data, max_record_bytes=200)
    assert [(r.number, r.outcome) for r in result.records] == [(2, "quarantined"), (3, "written")]
    assert result.records[0].reasons == ("record longer than 200 bytes",)
    assert result.records[0].raw_line == (row() + b"," + note).decode()[:1024]
    assert len(result.records[0].raw_line or "") == 1024


def test_an_over_long_record_with_a_wrong_field_count_has_one_reason() -> None:
    outcome = one(b"x" * 300, max_record_bytes=100)
    assert outcome.reasons == ("record longer than 100 bytes",)


def test_the_line_end_does_not_count_toward_the_limit() -> None:
    record = row()
    data = HEADER + b"\r\n" + record + b"\r\n"
    result = reference(data, max_record_bytes=len(record))
    assert result.records[0].outcome == "written"


# --- the header -----------------------------------------------------------------------------------


def test_header_in_any_order_with_extra_columns_bom_and_spaces() -> None:
    names = [b" note ", *[c.encode() for c in reversed(COLUMNS)], b'"memo"']
    data = b"\xef\xbb\xbf\n\n" + b",".join(names) + b"\n"
    values = [b"n", *[VALID[c].encode() for c in reversed(COLUMNS)], b"m"]
    result = reference(data + b",".join(values) + b"\n")
    assert result.rejected is None
    assert result.records[0].outcome == "written"
    assert result.records[0].number == 2


@pytest.mark.parametrize("data", [b"", b"\n\r\n\r", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_files_and_files_of_empty_lines_are_rejected(data: bytes) -> None:
    assert reference(data).rejected


@pytest.mark.parametrize(
    "data",
    [
        b'transaction_id,"account\nid",' + HEADER,
        HEADER + b',"note\r"',
        HEADER.replace(b"mcc", b"mc\xffc"),
        HEADER + b",n\x00",
        HEADER.replace(b",mcc", b""),
        HEADER + b",mcc",
        HEADER + b", mcc ",
        b"\n\xef\xbb\xbf" + HEADER,  # the mark is not at the very start: part of a name
        HEADER + b',"note',
        HEADER + b"," + b"n" * (64 << 10),
    ],
)
def test_files_rejected_whole(data: bytes) -> None:
    result = reference(data + b"\n" + row())
    assert result.rejected
    assert result.records == [] and result.rows_read == 0


def test_header_names_trimmed_of_ascii_white_space() -> None:
    header = HEADER.replace(b"mcc", b"\tmcc\x0b").replace(b"channel", b'"\x0c channel\t"')
    result = reference(header + b"\n" + row() + b"\n")
    assert result.rejected is None
    assert result.records[0].outcome == "written"


@pytest.mark.parametrize(
    ("before", "size", "rejected"),
    [
        (b"", 64 << 10, False),
        (b"", (64 << 10) + 1, True),
        (b"\xef\xbb\xbf", (64 << 10) - 3, False),
        (b"\xef\xbb\xbf", (64 << 10) - 2, True),  # the mark counts
        (b"\r\n\n", (64 << 10) - 3, False),
        (b"\r\n\n", (64 << 10) - 2, True),  # so do empty lines before the header
    ],
)
def test_the_header_ends_within_the_first_64_kib(before: bytes, size: int, rejected: bool) -> None:
    header = HEADER + b"," + b"n" * (size - len(HEADER) - 1)
    assert len(header) == size
    result = reference(before + header + b"\r\n" + row() + b",x\n")  # its line end not counted
    assert bool(result.rejected) == rejected, result.rejected


def test_a_header_without_rows_is_not_rejected() -> None:
    result = reference(HEADER)
    assert result.rejected is None and result.records == []


# --- duplicates -----------------------------------------------------------------------------------


def test_duplicates_keep_the_first_valid_row() -> None:
    data = b"\n".join(
        [
            HEADER,
            row(transaction_id="d1", mcc="bad"),  # not valid: does not count
            row(transaction_id="d1"),
            row(transaction_id=" d1 "),  # trimmed: the same id
            row(transaction_id="D1"),
            row(transaction_id="d1", mcc="bad"),
        ]
    )
    result = reference(data)
    assert [r.outcome for r in result.records] == [
        "quarantined",
        "written",
        "duplicate",
        "written",
        "quarantined",
    ]
    assert result.records[2].reasons == ("duplicate transaction_id (first occurrence kept)",)
    assert result.records[2].values is None and result.records[2].raw_line is None

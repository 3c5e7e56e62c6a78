"""The data contract of transaction files (docs/data-contract.md), as code.

Ingest checks file layout and headers against it; transform validates every row against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline_shared.records import State, first_record, split_fields

REQUIRED_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "account_id",
    "timestamp",
    "amount",
    "currency",
    "merchant_id",
    "mcc",
    "country",
    "channel",
)

# raw/<source>/<yyyy>/<mm>/<dd>/<name>.csv[.gz]
RAW_KEY = re.compile(
    r"^raw/(?P<source>[a-z0-9][a-z0-9_-]{0,62})/(?P<yyyy>\d{4})/(?P<mm>0[1-9]|1[0-2])/"
    r"(?P<dd>0[1-9]|[12]\d|3[01])/(?P<name>[^/]+\.csv(?P<gz>\.gz)?)$"
)

# ISO 4217 active codes and their minor units (number of decimals); all others have 2.
_MINOR_UNITS_EXCEPTIONS = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
_TWO_DECIMAL_CURRENCIES = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP "
    "GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN "
    "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
    "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES "
    "WST XCD XCG YER ZAR ZMW ZWG"
)
CURRENCY_MINOR_UNITS: dict[str, int] = {
    **{code: 2 for code in _TWO_DECIMAL_CURRENCIES.split()},
    **{code: units for units, codes in _MINOR_UNITS_EXCEPTIONS.items() for code in codes.split()},
}
MAX_AMOUNT_SCALE = max(CURRENCY_MINOR_UNITS.values())

# ISO 4217 List One codes whose minor unit is "N.A.": precious metals (XAG XAU XPD XPT), bond
# market and settlement units (XBA XBB XBC XBD XDR XSU XUA), the testing code (XTS) and "no
# currency" (XXX). They are ISO 4217 codes but not currencies of payment: an amount in them
# has no defined number of decimals, so rows that use one are rejected (with their own reason).
CODES_WITHOUT_MINOR_UNIT: frozenset[str] = frozenset(
    "XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX".split()
)

# ISO 3166-1 alpha-2.
COUNTRIES: frozenset[str] = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()
)

CHANNELS: frozenset[str] = frozenset({"POS", "ECOM", "ATM", "MOTO", "RECURRING", "TRANSFER"})


# The header record must end within the file's first 64 KiB (a byte-order mark and empty
# lines before it count).
MAX_HEADER_BYTES = 64 << 10
_BOM = b"\xef\xbb\xbf"
_NAME_SPACE = " \t\r\n\x0b\x0c"  # ASCII white space, trimmed around header names


class FileRejected(ValueError):
    """The whole file breaks the contract (not CSV, a required column missing): nothing is
    written for it. Step Functions catches it by this name."""


@dataclass(frozen=True)
class Header:
    line: bytes  # the names as one normalized CSV line, LF-terminated
    names: list[str]
    data_start: int  # offset in the file of the byte after the header's line end


def missing_columns(header: list[str]) -> list[str]:
    """Required columns absent from a header (names are matched exactly, in any order)."""
    present = set(header)
    return [column for column in REQUIRED_COLUMNS if column not in present]


def read_header(first_bytes: bytes, *, whole_file: bool) -> Header:
    """The header of a file from its first bytes (``MAX_HEADER_BYTES + 1`` of them, or the whole
    file when ``whole_file``), checked against the contract (docs/data-contract.md: the
    header is the first record, after a byte-order mark and empty lines)."""
    offset = len(_BOM) if first_bytes.startswith(_BOM) else 0
    located = first_record(first_bytes[offset : MAX_HEADER_BYTES + 1])
    if located is None:
        if whole_file or len(first_bytes) <= MAX_HEADER_BYTES:
            raise FileRejected(
                "the file is empty: a header row with the contract's columns is required"
            )
        raise FileRejected(f"no header row in the first {MAX_HEADER_BYTES} bytes: only empty lines")
    start, end, state = located
    start, end = start + offset, end + offset
    record = first_bytes[start:end]
    if b"\x00" in record:
        raise FileRejected(
            "the first line contains NUL bytes: not a UTF-8 CSV text file (binary, or UTF-16?)"
        )
    if end > MAX_HEADER_BYTES or (state is not State.RECORD and not whole_file):
        raise FileRejected(
            f"no complete header row in the first {min(len(first_bytes), MAX_HEADER_BYTES)} "
            f"bytes (it must end within {MAX_HEADER_BYTES}): not a CSV header"
        )
    if state is State.QUOTED or any(line_end in record for line_end in (b"\n", b"\r")):
        raise FileRejected(
            "the header row has a line break inside a quoted column name (or an unclosed "
            "quote): the header must be one line"
        )
    try:
        names = [field.decode("utf-8").strip(_NAME_SPACE) for field in split_fields(record)]
    except UnicodeDecodeError:
        raise FileRejected("the header row is not UTF-8 text: is this a CSV file?") from None
    if len(set(names)) != len(names):
        raise FileRejected(f"the header row repeats a column name: {names}")
    missing = missing_columns(names)
    if missing:
        found = ", ".join(names)[:300]
        raise FileRejected(
            f"the header row lacks required column(s) {', '.join(missing)} (found: {found})"
        )
    data_start = end + (2 if first_bytes[end : end + 2] == b"\r\n" else 1)
    normalized = ",".join(
        '"' + n.replace('"', '""') + '"' if any(ch in n for ch in ',"') else n for n in names
    )
    return Header(line=(normalized + "\n").encode(), names=names, data_start=data_start)


def parse_header(line: bytes) -> tuple[bytes, list[str]]:
    """A header line as ingest normalized it (chunks after the first get it from the plan)."""
    header = read_header(line, whole_file=True)
    return header.line, header.names

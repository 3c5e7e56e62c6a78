"""SQL against one environment's tables (infra/constructs/query_catalog.py).

A real environment runs it in Athena: StartQueryExecution in the environment's workgroup (which
enforces where results go, their encryption and the bytes-scanned cutoff), wait, then every
page of GetQueryResults. ``local`` has no Athena that runs SQL, so DuckDB runs it over the
emulator's S3, with a view per Glue table: the same names, built from the deployed table
definitions themselves (columns, types, location, format), so a query that works on one works
on the other. Amounts are DECIMAL(22,4) on both and come back as ``decimal.Decimal``: exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from infra.config import EnvironmentConfig
from infra.exports import DataExport
from tooling.operations.aws import EnvironmentAws

QUERY_READS = (
    DataExport.CATALOG_DATABASE_NAME,
    DataExport.PROCESSED_TABLE_NAME,
    DataExport.QUARANTINE_TABLE_NAME,
    DataExport.QUERY_WORKGROUP_NAME,
)
TABLES = (DataExport.PROCESSED_TABLE_NAME, DataExport.QUARANTINE_TABLE_NAME)
RESULTS_PAGE = 1000  # GetQueryResults' largest MaxResults
DONE = ("SUCCEEDED", "FAILED", "CANCELLED")
# Glue (Hive) column types as DuckDB spells them; decimal(p,s) is spelled the same.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",  # as in Athena: the UTC wall time, no zone
    "date": "DATE",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "array<string>": "VARCHAR[]",
}
PARQUET_SERDE = "parquet"  # a SerDe whose library name holds this reads Parquet, else JSON Lines


class QueryError(Exception):
    """A query that could not run or failed, said in one line (bad SQL, cutoff, timeout)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]  # the engine's type of each column (``decimal(22,4)``, ``varchar``, ...)
    rows: list[tuple[Any, ...]]  # Decimal for decimals, int, float, bool, date, datetime, str
    engine: str  # "athena" or "duckdb"
    scanned_bytes: int | None = None  # what Athena billed for; None on DuckDB


def run_query(
    aws: EnvironmentAws, config: EnvironmentConfig, sql: str, *, timeout_s: float = 300
) -> QueryResult:
    """Run ``sql`` against the deployed environment's tables."""
    exports = aws.deployed_exports(config, *QUERY_READS)
    database = exports[DataExport.CATALOG_DATABASE_NAME]
    if aws.endpoint is not None:
        glue, s3 = aws.client("glue"), aws.client("s3")
        tables = {
            exports[t]: glue.get_table(DatabaseName=database, Name=exports[t])["Table"]
            for t in TABLES
        }
        with LocalCatalog(aws.endpoint, aws.region, tables, s3) as catalog:
            return catalog.query(sql)
    return run_athena(
        aws.client("athena"),
        sql,
        database=database,
        workgroup=exports[DataExport.QUERY_WORKGROUP_NAME],
        timeout_s=timeout_s,
    )


# -- Athena --------------------------------------------------------------------------------------


def run_athena(
    athena: Any,
    sql: str,
    *,
    database: str,
    workgroup: str,
    timeout_s: float = 300,
    poll_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    """StartQueryExecution in ``workgroup`` (its enforced configuration decides the output
    location and encryption), poll until it ends, then read every page of results."""
    query_id = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=workgroup
    )["QueryExecutionId"]
    deadline = time.monotonic() + timeout_s
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if state in DONE:
            break
        if time.monotonic() > deadline:
            athena.stop_query_execution(QueryExecutionId=query_id)
            raise QueryError(f"query {query_id} still {state} after {timeout_s:g} s: stopped")
        sleep(poll_s)
        poll_s = min(poll_s * 2, 5.0)
    if state != "SUCCEEDED":
        reason = execution["Status"].get("StateChangeReason", "no reason given")
        raise QueryError(f"query {state.lower()}: {_one_line(reason)}")
    columns: list[str] = []
    types: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for page_number, page in enumerate(_result_pages(athena, query_id)):
        result = page["ResultSet"]
        if page_number == 0:
            info = result["ResultSetMetadata"]["ColumnInfo"]
            columns = [c["Label"] if c.get("Label") else c["Name"] for c in info]
            types = [_athena_type(c) for c in info]
        values = [[d.get("VarCharValue") for d in row["Data"]] for row in result["Rows"]]
        if page_number == 0 and values and values[0] == columns:
            values = values[1:]  # a SELECT's first row repeats the column names
        rows += [
            tuple(_athena_value(v, t) for v, t in zip(row, types, strict=True)) for row in values
        ]
    statistics = execution.get("Statistics", {})
    return QueryResult(columns, types, rows, "athena", statistics.get("DataScannedInBytes"))


def _result_pages(athena: Any, query_id: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": RESULTS_PAGE}
        if token:
            arguments["NextToken"] = token
        page = athena.get_query_results(**arguments)
        yield page
        token = page.get("NextToken")
        if not token:
            return


def _athena_type(column: Mapping[str, Any]) -> str:
    kind = str(column["Type"]).lower()
    if kind == "decimal":
        return f"decimal({column.get('Precision', 38)},{column.get('Scale', 0)})"
    return kind


def _athena_value(text: str | None, kind: str) -> Any:
    """Athena returns every value as text: back to the column's type (decimals exact)."""
    if text is None:
        return None
    if kind.startswith("decimal"):
        return Decimal(text)
    if kind in ("tinyint", "smallint", "integer", "bigint"):
        return int(text)
    if kind in ("double", "float", "real"):
        return float(text)
    if kind == "boolean":
        return text == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "timestamp":
        return dt.datetime.fromisoformat(text)
    return text


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# -- DuckDB over the emulator's S3 -------------------------------------------------------------


def httpfs_extension_directory() -> Path:
    """Where the ``duckdb-ext-httpfs`` package keeps DuckDB's httpfs extension (it is not in
    the duckdb wheel, and INSTALL would download it: ../shared/TOOLCHAIN.md)."""
    try:
        import duckdb_ext  # type: ignore[import-untyped]  # a namespace package, no code
    except ImportError:
        raise QueryError(
            "DuckDB's httpfs extension is missing: install duckdb-ext-httpfs==1.4.4.*"
        ) from None
    for location in duckdb_ext.__path__:
        if (Path(location) / "extensions").is_dir():
            return Path(location) / "extensions"
    raise QueryError("DuckDB's httpfs extension is missing: install duckdb-ext-httpfs==1.4.4.*")


class LocalCatalog:
    """DuckDB with a view per Glue table, reading the emulator's S3 through httpfs."""

    def __init__(
        self, endpoint: str, region: str, tables: Mapping[str, Mapping[str, Any]], s3: Any
    ) -> None:
        import duckdb

        self._duckdb = duckdb
        self.connection = duckdb.connect(
            config={
                "extension_directory": str(httpfs_extension_directory()),
                "autoinstall_known_extensions": "false",
                "autoload_known_extensions": "false",
            }
        )
        try:
            self.connection.execute("LOAD httpfs")
            self.connection.execute("SET TimeZone = 'UTC'")
            url = urllib.parse.urlsplit(endpoint)
            self.connection.execute(
                "CREATE SECRET emulator (TYPE s3, KEY_ID 'test', SECRET 'test', REGION ?, "
                "ENDPOINT ?, URL_STYLE 'path', USE_SSL ?)",
                [region, url.netloc, url.scheme == "https"],
            )
            for name, table in tables.items():
                self.connection.execute(f'CREATE VIEW "{name}" AS {view_sql(table, s3)}')
        except duckdb.Error as error:
            self.connection.close()
            raise QueryError(
                f"the local tables could not be opened: {_first_line(error)}"
            ) from None

    def query(self, sql: str) -> QueryResult:
        try:
            relation = self.connection.sql(sql)
            if relation is None:  # a statement without a result (SET, CREATE, ...)
                return QueryResult([], [], [], "duckdb")
            rows = relation.fetchall()
        except self._duckdb.Error as error:
            raise QueryError(_first_line(error)) from None
        types = [str(t).lower() for t in relation.types]
        return QueryResult(list(relation.columns), types, [tuple(r) for r in rows], "duckdb")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> LocalCatalog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def view_sql(table: Mapping[str, Any], s3: Any) -> str:
    """The SELECT a Glue ``table`` (GetTable's ``Table``) stands for, over its S3 objects:
    its columns, cast to their Glue types, then its partition keys, taken from each object's
    key the way Athena's projection reads them (``storage.location.template``)."""
    descriptor = table["StorageDescriptor"]
    columns = [(c["Name"], _duckdb_type(c["Type"])) for c in descriptor["Columns"]]
    partitions = [(c["Name"], _duckdb_type(c["Type"])) for c in table.get("PartitionKeys", [])]
    parquet = PARQUET_SERDE in descriptor["SerdeInfo"]["SerializationLibrary"].lower()
    location = descriptor["Location"]
    if not _has_objects(s3, location):
        # Nothing written yet: an empty relation of the same columns (DuckDB refuses a glob
        # that matches no file).
        typed = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in [*columns, *partitions])
        return f"SELECT {typed} WHERE false"
    template = table.get("Parameters", {}).get("storage.location.template", "")
    # processed/<source>/dt=<day>/: `source` is no key=value folder, so DuckDB's hive
    # partitioning cannot see it; each partition is matched out of the object's key instead.
    pieces = re.split(r"\$\{(\w+)\}", template) if template else [location]
    glob = "".join("*" if i % 2 else piece for i, piece in enumerate(pieces))
    if not template:
        glob = location.rstrip("/") + "/**/"
    glob += "*.parquet" if parquet else "*.jsonl"
    pattern = "^" + "".join(
        "([^/]+)" if i % 2 else re.escape(piece) for i, piece in enumerate(pieces)
    )
    order = [name for i, name in enumerate(pieces) if i % 2]
    selected = [f'CAST("{n}" AS {t}) AS "{n}"' for n, t in columns] + [
        f"CAST(regexp_extract(filename, '{pattern}', {order.index(n) + 1}) AS {t}) AS \"{n}\""
        for n, t in partitions
    ]
    if parquet:
        source = f"read_parquet('{glob}', filename = true, union_by_name = true)"
    else:
        typed_columns = ", ".join(f"'{n}': '{t}'" for n, t in columns)
        source = (
            f"read_json('{glob}', format = 'newline_delimited', filename = true, "
            f"columns = {{{typed_columns}}})"
        )
    # Names, types and paths come from the deployed Glue table, never from the query.
    return f"SELECT {', '.join(selected)} FROM {source}"  # noqa: S608


def _duckdb_type(glue_type: str) -> str:
    kind = glue_type.lower().replace(" ", "")
    if kind.startswith("decimal("):
        return kind.upper()
    if kind not in DUCKDB_TYPES:
        raise QueryError(f"Glue type {glue_type!r} has no DuckDB equivalent here (DUCKDB_TYPES)")
    return DUCKDB_TYPES[kind]


def _has_objects(s3: Any, location: str) -> bool:
    url = urllib.parse.urlsplit(location)
    found = s3.list_objects_v2(Bucket=url.netloc, Prefix=url.path.lstrip("/"), MaxKeys=1)
    return bool(found.get("KeyCount"))


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# -- output ------------------------------------------------------------------------------------


def text(value: Any) -> str:
    """A value as a person reads it: decimals exactly as stored (``12.3400``), NULL empty."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, list):
        return "[" + ", ".join(text(v) for v in value) + "]"
    return str(value)


def to_csv(result: QueryResult) -> str:
    """RFC 4180 CSV with a header row; NULL is an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([text(v) for v in row] for row in result.rows)
    return out.getvalue()


def to_json(result: QueryResult) -> str:
    """One JSON array of objects. Decimals are strings (``"12.3400"``): a JSON number would be
    read back as a binary float by most readers, and amounts must stay exact."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal | dt.date | dt.datetime):
            return text(value)
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    records = [
        {c: plain(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows
    ]
    return json.dumps(records, indent=2, ensure_ascii=False)

"""`query`: Athena through a stubbed client (start, wait, every page of results, exact
decimals, failures in one line), and DuckDB over a moto S3 server with the Glue tables the data
stack declares (infra/constructs/query_catalog.py), as envs/local runs it."""

from __future__ import annotations

import datetime as dt
import json
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from infra.config import EnvironmentConfig, load_config
from infra.constructs.query_catalog import (
    FIRST_PROJECTED_DAY,
    JSON_SERDE,
    PARQUET_SERDE,
    PROCESSED_COLUMNS,
    PROCESSED_PARTITIONS,
    QUARANTINE_COLUMNS,
)
from infra.exports import DataExport
from tooling.operations.aws import EnvironmentAws
from tooling.operations.query import QueryError, QueryResult, run_athena, run_query, to_csv, to_json

REPO = Path(__file__).resolve().parents[3]
QUERY_ID = "4f1c8a2e-0000-4000-8000-000000000001"


# -- Athena ------------------------------------------------------------------------------------


def _column(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"CatalogName": "hive", "Name": name, "Label": name, "Type": kind, **extra}


def _rows(*rows: tuple[str | None, ...]) -> list[dict[str, Any]]:
    return [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]


COLUMNS = [
    _column("currency", "varchar"),
    _column("day", "date"),
    _column("total", "decimal", Precision=38, Scale=4),
    _column("rows", "bigint"),
]


def _execution(state: str, **status: str) -> dict[str, Any]:
    return {
        "QueryExecution": {
            "QueryExecutionId": QUERY_ID,
            "Status": {"State": state, **status},
            "Statistics": {"DataScannedInBytes": 12_345},
        }
    }


@pytest.fixture
def athena(aws_credentials: None) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("athena", region_name="us-east-2")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_athena_runs_in_the_workgroup_and_reads_every_page_exactly(
    athena: tuple[Any, Stubber],
) -> None:
    client, stub = athena
    sql = "SELECT currency, transaction_date AS day, sum(amount) AS total, count(*) AS rows ..."
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": QUERY_ID},
        {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": "pipeline_dev_d01"},
            "WorkGroup": "pipeline-query-dev-d01",
        },
    )
    stub.add_response("get_query_execution", _execution("QUEUED"), {"QueryExecutionId": QUERY_ID})
    stub.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": QUERY_ID})
    stub.add_response(
        "get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": QUERY_ID}
    )
    header = ("currency", "day", "total", "rows")
    stub.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": _rows(header, ("USD", "2024-05-01", "12345678901234.1234", "3")),
                "ResultSetMetadata": {"ColumnInfo": COLUMNS},
            },
            "NextToken": "page-2",
        },
        {"QueryExecutionId": QUERY_ID, "MaxResults": 1000},
    )
    stub.add_response(
        "get_query_results",
        {
            "ResultSet": {
                # A later page has no header row, even when a value looks like one.
                "Rows": _rows(("currency", "2024-05-02", "0.1000", "1"), (None, None, None, "0")),
                "ResultSetMetadata": {"ColumnInfo": COLUMNS},
            }
        },
        {"QueryExecutionId": QUERY_ID, "MaxResults": 1000, "NextToken": "page-2"},
    )
    waits: list[float] = []
    result = run_athena(
        client,
        sql,
        database="pipeline_dev_d01",
        workgroup="pipeline-query-dev-d01",
        sleep=waits.append,
    )
    assert result.columns == list(header)
    assert result.types == ["varchar", "date", "decimal(38,4)", "bigint"]
    assert result.rows == [
        ("USD", dt.date(2024, 5, 1), Decimal("12345678901234.1234"), 3),
        ("currency", dt.date(2024, 5, 2), Decimal("0.1000"), 1),
        (None, None, None, 0),
    ]
    assert result.engine == "athena" and result.scanned_bytes == 12_345
    assert waits == [0.5, 1.0]  # backs off between polls


@pytest.mark.parametrize(
    ("state", "reason", "message"),
    [
        (
            "FAILED",
            "line 1:8: Column 'amont' cannot be resolved;\nline 1:8",
            "query failed: line 1:8: Column 'amont' cannot be resolved; line 1:8",
        ),
        (
            "CANCELLED",
            "Query cancelled: it scanned more than the workgroup's 1000000000000 bytes",
            "query cancelled: Query cancelled: it scanned more than",
        ),
    ],
)
def test_a_failed_or_cancelled_query_is_one_line(
    athena: tuple[Any, Stubber], state: str, reason: str, message: str
) -> None:
    client, stub = athena
    stub.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    stub.add_response("get_query_execution", _execution(state, StateChangeReason=reason))
    with pytest.raises(QueryError) as raised:
        run_athena(client, "SELECT amont FROM processed", database="d", workgroup="w")
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_a_query_past_its_timeout_is_stopped(athena: tuple[Any, Stubber]) -> None:
    client, stub = athena
    stub.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    stub.add_response("get_query_execution", _execution("RUNNING"))
    stub.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})
    with pytest.raises(QueryError, match="still RUNNING after 0 s: stopped"):
        run_athena(client, "SELECT 1", database="d", workgroup="w", timeout_s=0)


# -- DuckDB over a moto S3 server, with the stack's Glue tables ---------------------------------


@dataclass
class Local:
    aws: EnvironmentAws
    config: EnvironmentConfig
    s3: Any
    processed: str
    quarantine: str
    tmp: Path

    def run(self, sql: str) -> QueryResult:
        return run_query(self.aws, self.config, sql)

    def put_parquet(self, key: str, select: str) -> None:
        path = self.tmp / "part.parquet"
        duckdb.sql(f"COPY ({select}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        self.s3.put_object(Bucket=self.processed, Key=key, Body=path.read_bytes())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _table(
    name: str, location: str, columns: Any, partitions: Any, serde: str, **parameters: str
) -> dict[str, Any]:
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": n, "Type": t} for n, t in partitions],
        "StorageDescriptor": {
            "Location": location,
            "Columns": [{"Name": n, "Type": t} for n, t in columns],
            "SerdeInfo": {"SerializationLibrary": serde},
        },
    }


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def local(aws_credentials: None, moto_server: str, tmp_path: Path) -> Iterator[Local]:
    reset = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset).close()  # noqa: S310  (the test's own moto server)
    config = load_config(REPO / "envs" / "local" / "config.toml", suffix="qt")
    aws = EnvironmentAws(config.region, moto_server)
    s3, glue, ssm = aws.client("s3"), aws.client("glue"), aws.client("ssm")
    processed, quarantine = "processed-qt", "quarantine-qt"
    for bucket in (processed, quarantine):
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": config.region}
        )
    database = "pipeline_local_qt"
    glue.create_database(DatabaseInput={"Name": database})
    root = f"s3://{processed}/processed/"
    glue.create_table(
        DatabaseName=database,
        TableInput=_table(
            "processed",
            root,
            PROCESSED_COLUMNS,
            PROCESSED_PARTITIONS,
            PARQUET_SERDE,
            **{
                "projection.enabled": "true",
                "projection.dt.range": f"{FIRST_PROJECTED_DAY},NOW",
                "storage.location.template": root + "${source}/dt=${dt}/",
            },
        ),
    )
    glue.create_table(
        DatabaseName=database,
        TableInput=_table(
            "quarantine", f"s3://{quarantine}/quarantine/", QUARANTINE_COLUMNS, (), JSON_SERDE
        ),
    )
    exported = {
        DataExport.CATALOG_DATABASE_NAME: database,
        DataExport.PROCESSED_TABLE_NAME: "processed",
        DataExport.QUARANTINE_TABLE_NAME: "quarantine",
        DataExport.QUERY_WORKGROUP_NAME: "pipeline-query-local-qt",
    }
    for export, value in exported.items():
        ssm.put_parameter(
            Name=config.naming.ssm_path(export.stack(), export.value),
            Value=value,
            Type="String",
        )
    yield Local(aws, config, s3, processed, quarantine, tmp_path)


ROWS = """
SELECT * FROM (VALUES
  ('t1', 'a1', TIMESTAMPTZ '2024-05-01 23:30:00+00', 10.0100::DECIMAL(22,4), 'USD', 'm1', '5411',
   'US', 'POS', DATE '2024-05-01', 's3://raw/raw/card-us/2024/05/01/a.csv', 'i1'),
  ('t2', 'a2', TIMESTAMPTZ '2024-05-01 01:00:00+00', 0.0200::DECIMAL(22,4), 'USD', 'm2', '0742',
   'US', 'ECOM', DATE '2024-05-01', 's3://raw/raw/card-us/2024/05/01/a.csv', 'i1'),
  ('t3', 'a3', TIMESTAMPTZ '2024-05-01 02:00:00+00', 99999999999999999.9999::DECIMAL(22,4),
   'JPY', 'm3', '5411', 'JP', 'ATM', DATE '2024-05-01',
   's3://raw/raw/card-us/2024/05/01/a.csv', 'i1')
) AS t(transaction_id, account_id, "timestamp", amount, currency, merchant_id, mcc, country,
       channel, transaction_date, source_object, ingest_id)
"""


def test_duckdb_sums_amounts_exactly_by_currency_and_day(local: Local) -> None:
    local.put_parquet("processed/card-us/dt=2024-05-01/i1-c00000.parquet", ROWS)
    local.put_parquet(
        "processed/wire/dt=2024-05-02/i2-c00000.parquet",
        ROWS.replace("2024-05-01", "2024-05-02").replace("card-us", "wire").replace("'i1'", "'i2'"),
    )
    result = local.run(
        "SELECT currency, transaction_date AS day, sum(amount) AS total, count(*) AS n "
        "FROM processed GROUP BY ALL ORDER BY day, currency"
    )
    assert result.engine == "duckdb" and result.columns == ["currency", "day", "total", "n"]
    assert result.rows == [
        ("JPY", dt.date(2024, 5, 1), Decimal("99999999999999999.9999"), 1),
        ("USD", dt.date(2024, 5, 1), Decimal("10.0300"), 2),
        ("JPY", dt.date(2024, 5, 2), Decimal("99999999999999999.9999"), 1),
        ("USD", dt.date(2024, 5, 2), Decimal("10.0300"), 2),
    ]
    assert result.types[2].startswith("decimal(")


def test_duckdb_views_have_the_glue_columns_and_partitions(local: Local) -> None:
    local.put_parquet("processed/card-us/dt=2024-05-01/i1-c00000.parquet", ROWS)
    described = local.run("DESCRIBE processed")
    names_and_types = [(r[0], r[1]) for r in described.rows]
    assert [n for n, _ in names_and_types] == [
        *(n for n, _ in PROCESSED_COLUMNS),
        *(n for n, _ in PROCESSED_PARTITIONS),
    ]
    assert dict(names_and_types)["amount"] == "DECIMAL(22,4)"
    assert dict(names_and_types)["timestamp"] == "TIMESTAMP"  # UTC wall time, as in Athena
    sources = local.run(
        "SELECT DISTINCT source, dt, \"timestamp\" FROM processed WHERE transaction_id = 't1'"
    )
    assert sources.rows == [("card-us", "2024-05-01", dt.datetime(2024, 5, 1, 23, 30))]


def test_duckdb_reads_the_quarantine_json_lines(local: Local) -> None:
    lines = [
        {
            "source_object": "s3://raw/raw/card-us/2024/05/01/a.csv",
            "chunk_index": 0,
            "chunk_start_byte": 0,
            "line_number": n,
            "raw_line": "bad,row",
            "reasons": ["wrong number of fields: expected 9, found 2"],
        }
        for n in (3, 7)
    ]
    local.s3.put_object(
        Bucket=local.quarantine,
        Key="quarantine/card-us/i1/chunk-00000.jsonl",
        Body="".join(json.dumps(line) + "\n" for line in lines).encode(),
    )
    result = local.run("SELECT line_number, reasons[1] AS reason FROM quarantine ORDER BY 1")
    assert result.rows == [
        (3, "wrong number of fields: expected 9, found 2"),
        (7, "wrong number of fields: expected 9, found 2"),
    ]


def test_duckdb_tables_exist_before_any_file_is_written(local: Local) -> None:
    assert local.run("SELECT count(*) FROM processed").rows == [(0,)]
    assert local.run("SELECT count(*) FROM quarantine").rows == [(0,)]


def test_bad_sql_is_one_line(local: Local) -> None:
    with pytest.raises(QueryError) as raised:
        local.run("SELEC amount FROM processed")
    assert "syntax error" in str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(QueryError, match="amont"):
        local.run("SELECT amont FROM processed")


def test_an_environment_not_deployed_is_named(local: Local) -> None:
    other = load_config(REPO / "envs" / "local" / "config.toml", suffix="nothere")
    with pytest.raises(RuntimeError, match=r"Parameter Store has no 'data/catalog_database_name'"):
        run_query(local.aws, other, "SELECT 1")


# -- output ------------------------------------------------------------------------------------

RESULT = QueryResult(
    columns=["currency", "day", "total", "note"],
    types=["varchar", "date", "decimal(22,4)", "varchar"],
    rows=[
        ("USD", dt.date(2024, 5, 1), Decimal("10.0300"), None),
        ("EUR", None, Decimal("-0.5000"), 'a "b", c'),
    ],
    engine="duckdb",
)


def test_csv_keeps_decimals_exact_and_quotes_as_rfc_4180() -> None:
    assert to_csv(RESULT) == (
        'currency,day,total,note\nUSD,2024-05-01,10.0300,\nEUR,,-0.5000,"a ""b"", c"\n'
    )


def test_json_keeps_decimals_exact_as_strings() -> None:
    assert json.loads(to_json(RESULT)) == [
        {"currency": "USD", "day": "2024-05-01", "total": "10.0300", "note": None},
        {"currency": "EUR", "day": None, "total": "-0.5000", "note": 'a "b", c'},
    ]

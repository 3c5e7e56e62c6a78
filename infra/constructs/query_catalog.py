"""The pipeline's output as tables: a Glue Data Catalog database with a table over the processed
Parquet and one over the quarantine's JSON Lines, and the Athena workgroup queries run in.

No crawler: the processed table's partitions (``source``, ``dt``) are projected from its
properties, so a new source or day is queryable the moment its first file lands. The workgroup
enforces its own configuration (a client cannot send results elsewhere, unencrypted, or lift
the cutoff), writes results SSE-KMS-encrypted with the data key to the results bucket (whose
lifecycle expires them), and cancels a query that scans more than the cutoff.

The columns are docs/data-contract.md's ("Output"); ``PROCESSED_COLUMNS`` and
``QUARANTINE_COLUMNS`` are the one list the tables and ``tooling/operations/query`` share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktf_cdktf_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktf_cdktf_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTablePartitionKeys,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
from constructs import Construct

from infra.constructs.data_key import DataKey

# The processed Parquet's columns and their Hive/Athena types (data contract, "Output").
PROCESSED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("transaction_id", "string"),
    ("account_id", "string"),
    ("timestamp", "timestamp"),  # timestamp[us, UTC]
    ("amount", "decimal(22,4)"),  # exact: decimal128(22, 4)
    ("currency", "string"),
    ("merchant_id", "string"),
    ("mcc", "string"),
    ("country", "string"),
    ("channel", "string"),
    ("transaction_date", "date"),
    ("source_object", "string"),
    ("ingest_id", "string"),
)
# processed/<source>/dt=<YYYY-MM-DD>/...: both are strings in the key, and stay strings here.
PROCESSED_PARTITIONS: tuple[tuple[str, str], ...] = (("source", "string"), ("dt", "string"))
# One object per rejected row (data contract, "Output": Quarantine).
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source_object", "string"),
    ("chunk_index", "int"),
    ("chunk_start_byte", "bigint"),
    ("line_number", "bigint"),
    ("raw_line", "string"),
    ("reasons", "array<string>"),
)
# Partition projection (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html):
# `source` is open-ended (any name of the key layout), so it is *injected*: a query names the
# source(s) it reads in its WHERE clause, `=` or `IN`, which also keeps it from listing every
# source (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html).
# `dt`
# is a *date* of one-day steps from the first day below to NOW (the query's own time).
FIRST_PROJECTED_DAY = "2000-01-01"

# Glue and Athena names (https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html):
# lower case, 1-255 bytes; underscores only, so a query never needs to quote them.
CATALOG_NAME = re.compile(r"[a-z][a-z0-9_]{0,254}")
# Workgroup names: 1-128 of letters, digits, '.', '_' and '-'
# (https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html, Name).
WORKGROUP_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")

# Athena's Parquet and JSON readers (https://docs.aws.amazon.com/athena/latest/ug/serde-reference.html,
# "Parquet SerDe", and https://docs.aws.amazon.com/athena/latest/ug/json-serde.html: one JSON
# object a line, which is what the quarantine writes).
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


@dataclass(frozen=True, kw_only=True)
class QueryCatalogProps:
    database: str
    """The Glue database: lower case and underscores (``naming``'s tail, ``-`` made ``_``)."""
    processed_table: str
    """The table over ``processed/`` in ``processed_bucket`` (the same name on every
    environment: the database carries the suffix, so one query runs anywhere)."""
    quarantine_table: str
    """The table over ``quarantine/`` in ``quarantine_bucket``."""
    workgroup: str
    """The Athena workgroup every query of ``query`` runs in."""
    processed_bucket: str
    quarantine_bucket: str
    results_bucket: str
    """Where the workgroup writes each query's results (its lifecycle expires them)."""
    key: DataKey
    """Encrypts the results (SSE-KMS): the key the data they are computed from is under."""
    bytes_scanned_cutoff: int
    """Athena cancels a query that scans more bytes than this (config:
    query.bytes_scanned_cutoff_gb)."""

    def __post_init__(self) -> None:
        for name in (self.database, self.processed_table, self.quarantine_table):
            if not CATALOG_NAME.fullmatch(name):
                raise ValueError(f"Glue name {name!r}: lower-case letters, digits and '_'")
        if not WORKGROUP_NAME.fullmatch(self.workgroup):
            raise ValueError(f"workgroup name {self.workgroup!r}: 1-128 of [A-Za-z0-9._-]")


class QueryCatalog(Construct):
    database: GlueCatalogDatabase
    processed: GlueCatalogTable
    quarantine: GlueCatalogTable
    workgroup: AthenaWorkgroup

    def __init__(self, scope: Construct, id: str, *, props: QueryCatalogProps) -> None:
        super().__init__(scope, id)
        self.database = GlueCatalogDatabase(
            self,
            "database",
            name=props.database,
            description="The pipeline's processed and quarantined rows (docs/operations.md)",
        )
        processed_root = f"s3://{props.processed_bucket}/processed/"
        self.processed = self._table(
            "processed",
            name=props.processed_table,
            location=processed_root,
            columns=PROCESSED_COLUMNS,
            partitions=PROCESSED_PARTITIONS,
            formats=(PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE),
            parameters={
                "classification": "parquet",
                "parquet.compression": "ZSTD",
                "projection.enabled": "true",
                "projection.source.type": "injected",
                "projection.dt.type": "date",
                "projection.dt.format": "yyyy-MM-dd",
                "projection.dt.range": f"{FIRST_PROJECTED_DAY},NOW",
                "projection.dt.interval": "1",
                "projection.dt.interval.unit": "DAYS",
                # "$${": Terraform's escape for a literal "${", which Athena fills in.
                "storage.location.template": processed_root + "$${source}/dt=$${dt}/",
            },
        )
        self.quarantine = self._table(
            "quarantine",
            name=props.quarantine_table,
            # Athena reads every object under the location, in sub-folders too
            # (https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html):
            # quarantine/<source>/<ingest_id>/chunk-<n>.jsonl, no partitions.
            location=f"s3://{props.quarantine_bucket}/quarantine/",
            columns=QUARANTINE_COLUMNS,
            partitions=(),
            formats=(TEXT_INPUT, TEXT_OUTPUT, JSON_SERDE),
            parameters={"classification": "json"},
        )
        self.workgroup = AthenaWorkgroup(
            self,
            "workgroup",
            name=props.workgroup,
            description="Queries of the pipeline's tables (./pants run envs/<env>:query)",
            state="ENABLED",
            force_destroy=True,  # destroy deletes it with its saved queries and history
            configuration=AthenaWorkgroupConfiguration(
                # Settings of the workgroup override a client's: results always go to the
                # results bucket, encrypted, and the cutoff applies
                # (https://docs.aws.amazon.com/athena/latest/ug/workgroups-settings-override.html).
                enforce_workgroup_configuration=True,
                bytes_scanned_cutoff_per_query=props.bytes_scanned_cutoff,
                publish_cloudwatch_metrics_enabled=True,
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=f"s3://{props.results_bucket}/results/",
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=props.key.arn
                    ),
                ),
            ),
        )

    def _table(
        self,
        id: str,
        *,
        name: str,
        location: str,
        columns: tuple[tuple[str, str], ...],
        partitions: tuple[tuple[str, str], ...],
        formats: tuple[str, str, str],
        parameters: dict[str, str],
    ) -> GlueCatalogTable:
        input_format, output_format, serde = formats
        return GlueCatalogTable(
            self,
            id,
            name=name,
            database_name=self.database.name,
            table_type="EXTERNAL_TABLE",
            parameters={"EXTERNAL": "TRUE", **parameters},
            partition_keys=[GlueCatalogTablePartitionKeys(name=n, type=t) for n, t in partitions],
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=location,
                input_format=input_format,
                output_format=output_format,
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(serialization_library=serde),
                columns=[
                    GlueCatalogTableStorageDescriptorColumns(name=n, type=t) for n, t in columns
                ],
            ),
        )

    @property
    def database_name(self) -> str:
        return str(self.database.name)

    @property
    def processed_table_name(self) -> str:
        return str(self.processed.name)

    @property
    def quarantine_table_name(self) -> str:
        return str(self.quarantine.name)

    @property
    def workgroup_name(self) -> str:
        return str(self.workgroup.name)

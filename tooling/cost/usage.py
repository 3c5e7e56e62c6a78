"""Usage profiles (profiles.toml): the volumes the model prices, checked field by field."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tooling.cost.prices import read_table

PROFILE_FILE = Path(__file__).with_name("profiles.toml")


class ProfileError(ValueError):
    pass


def _number(section: str, data: dict[str, Any], key: str, *, positive: bool = False) -> float:
    if key not in data:
        raise ProfileError(
            f"profile [{section}] lacks {key}: every usage value must be given, never assumed zero"
        )
    value = data[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or math.isnan(value)
        or value < 0
        or (positive and value == 0)
    ):
        raise ProfileError(
            f"profile [{section}] {key} = {value!r}: must be a {'positive' if positive else 'non-negative'} number"
        )
    return float(value)


@dataclass(frozen=True)
class Usage:
    days_per_month: float
    gb_per_day: float
    avg_file_mb: float
    parquet_ratio: float
    quarantine_ratio: float
    history_months: float
    transform_seconds_per_gb: float
    ingest_seconds_per_file: float
    finalize_seconds_per_file: float
    notify_seconds_per_file: float
    log_gb_per_month: float
    flow_log_gb_per_month: float
    table_item_kb: float
    kms_requests_per_file: float
    alert_emails_per_file: float
    # Read back from the processed bucket's archive class (retrieval fees). The profile must
    # give it (load_usage); the default serves only hand-built profiles in tests.
    archived_parquet_read_gb_per_month: float = 0.0
    # Athena over the Glue Data Catalog (the query workgroup and its results bucket); the
    # profile must give them too.
    athena_tb_scanned_per_month: float = 0.0
    athena_queries_per_month: float = 0.0
    glue_requests_per_query: float = 0.0
    query_results_ratio: float = 0.0  # query results written a month / raw GB a month

    @property
    def gb_per_month(self) -> float:
        return self.gb_per_day * self.days_per_month

    @property
    def files_per_month(self) -> float:
        return self.gb_per_month * 1000 / self.avg_file_mb

    def chunks_per_file(self, chunk_mb: float) -> float:
        return max(1.0, math.ceil(self.avg_file_mb / chunk_mb))

    def assumptions(self) -> dict[str, float]:
        """Every value the model prices with, by its profiles.toml name (for the report)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Baseline:
    lambda_gb_second_price: str
    lambda_memory_mb: float
    duration_factor: float
    orchestration_invocations_per_file: float
    orchestration_seconds_per_invocation: float
    orchestration_memory_mb: float
    dynamodb_tables: float
    provisioned_wcu_per_table: float
    provisioned_rcu_per_table: float
    nat_instances: float
    nat_instance_ebs_gb: float
    s3_lifecycle: bool
    log_retention_months: float
    log_gb_per_month: float
    dashboards: float


POSITIVE = {
    "days_per_month",
    "gb_per_day",
    "avg_file_mb",
    "history_months",
    "transform_seconds_per_gb",
}


def load_usage(name: str = "production", path: Path = PROFILE_FILE) -> Usage:
    data = tomllib.loads(read_table(path))
    if name not in data:
        raise ProfileError(f"{path} has no profile [{name}] (profiles: {', '.join(sorted(data))})")
    section = data[name]
    unknown = sorted(set(section) - {f.name for f in fields(Usage)})
    if unknown:
        raise ProfileError(f"profile [{name}] has unknown key(s) {unknown}")
    return Usage(
        **{
            f.name: _number(name, section, f.name, positive=f.name in POSITIVE)
            for f in fields(Usage)
        }
    )


def load_baseline(path: Path = PROFILE_FILE) -> Baseline:
    section = tomllib.loads(read_table(path)).get("baseline")
    if section is None:
        raise ProfileError(f"{path} has no [baseline] profile")
    values: dict[str, Any] = {}
    for f in fields(Baseline):
        if f.name == "lambda_gb_second_price":
            values[f.name] = str(section.get(f.name, ""))
        elif f.name == "s3_lifecycle":
            if not isinstance(section.get(f.name), bool):
                raise ProfileError("profile [baseline] s3_lifecycle must be true or false")
            values[f.name] = section[f.name]
        else:
            values[f.name] = _number("baseline", section, f.name)
    return Baseline(**values)

"""Price every resource an environment synthesizes, and the legacy baseline, per month.

Each resource type is either priced (``PRICERS``) or listed as free (``FREE``, with why); any
other type is an error, so a new resource can never be silently left out of the cost.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tooling.cost.prices import PriceTable, PricingError
from tooling.cost.usage import Baseline, Usage

HOURS_PER_MONTH = 730

# Free, or priced through another resource (named): configuration, not consumption.
FREE = {
    "aws_iam_role": "IAM is free",
    "aws_iam_role_policy": "IAM is free",
    "aws_iam_role_policy_attachment": "IAM is free",
    "aws_vpc": "VPCs are free",
    "aws_subnet": "subnets are free",
    "aws_route_table": "free",
    "aws_route_table_association": "free",
    "aws_default_security_group": "free",
    "aws_security_group": "free",
    "aws_vpc_security_group_egress_rule": "free",
    "aws_vpc_security_group_ingress_rule": "free",
    "aws_ssm_parameter": "standard parameters are free",
    "aws_kms_alias": "free",
    "aws_s3_bucket_policy": "free",
    "aws_s3_bucket_versioning": "noncurrent versions are priced with the bucket",
    "aws_s3_bucket_server_side_encryption_configuration": "KMS requests are priced with the key",
    "aws_s3_bucket_public_access_block": "free",
    "aws_s3_bucket_ownership_controls": "free",
    "aws_s3_bucket_notification": "S3 events to EventBridge are free",
    "aws_s3_bucket_lifecycle_configuration": "its effect is priced with the bucket (storage class, transitions)",
    "aws_s3_object": "the artifacts bucket's storage",
    "aws_lambda_layer_version": "layer storage is within Lambda's free 75 GB",
    "aws_cloudwatch_event_rule": "events from AWS services are free",
    "aws_cloudwatch_event_target": "free",
    "aws_sqs_queue_policy": "free",
    "aws_sns_topic_subscription": "deliveries are priced with the topic",
    "aws_backup_vault": "recovery points are priced with the backup plan",
    "aws_backup_selection": "priced with the backup plan",
    "aws_glue_catalog_table": "a Data Catalog object: counted with its database (the first million are free)",
}

# Resource types AWS cannot tag: their cost carries no cost-allocation tag in a bill either.
UNTAGGABLE = {
    "aws_cloudwatch_dashboard": "CloudWatch dashboards take no tags (only alarms and Contributor Insights rules do)",
}
# Tags that name a resource rather than allocate its cost: no table of their own.
NOT_ALLOCATION_TAGS = {"Name"}
UNTAGGED = "(no tag)"
# The Glue Data Catalog stores this many objects (databases, tables, partitions) a month free.
# https://aws.amazon.com/glue/pricing/
GLUE_FREE_OBJECTS = 1_000_000


class CostError(ValueError):
    pass


@dataclass(frozen=True)
class LineItem:
    stack: str
    address: str
    service: str
    description: str
    monthly_usd: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    stack: str
    type: str
    name: str
    body: dict[str, Any]
    document: dict[str, Any]
    # Every stack of the environment by name: what points at this resource from elsewhere.
    stacks: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    @property
    def role(self) -> str:
        """The construct that made it: 'raw' for data/raw/bucket, 'transform' for pipeline/transform/function."""
        path = str(self.body.get("//", {}).get("metadata", {}).get("path", ""))
        parts = path.split("/")
        return parts[1] if len(parts) > 2 else parts[-1]

    def references(self, other_type: str) -> Iterator[dict[str, Any]]:
        """Resources of ``other_type`` that point at this one: in its own stack by its address,
        in another stack through a Parameter Store value its stack exports from it (a bucket's
        lifecycle rules in the retention stack read the data stack's bucket name)."""
        marker = f"${{{self.type}.{self.name}."
        yield from _pointing_at(self.document, other_type, [marker])
        exported = {
            parameter.get("name")
            for parameter in self.document.get("resource", {}).get("aws_ssm_parameter", {}).values()
            if marker in str(parameter.get("value", ""))
        }
        for stack, document in self.stacks.items():
            if stack != self.stack:
                readers = [
                    f"${{data.aws_ssm_parameter.{name}.value}}"
                    for name, read in document.get("data", {}).get("aws_ssm_parameter", {}).items()
                    if read.get("name") in exported
                ]
                yield from _pointing_at(document, other_type, readers)


def _pointing_at(
    document: dict[str, Any], resource_type: str, markers: list[str]
) -> Iterator[dict[str, Any]]:
    """The ``resource_type`` resources of ``document`` whose body holds one of ``markers``."""
    if markers:
        for body in document.get("resource", {}).get(resource_type, {}).values():
            text = json.dumps(body)
            if any(marker in text for marker in markers):
                yield body


# The bucket roles that grow with the data (by the construct id data/<role>/bucket; a role
# need not exist yet). Other buckets (artifacts: deployment packages) keep a fixed size.
GROWING_ROLES = ("raw", "processed", "quarantine", "query-results")


def data_shares(usage: Usage) -> dict[str, float]:
    """Each growing bucket's GB a month per raw GB a month."""
    shares = (1.0, usage.parquet_ratio, usage.quarantine_ratio, usage.query_results_ratio)
    return dict(zip(GROWING_ROLES, shares, strict=True))


class CostModel:
    def __init__(self, prices: PriceTable, usage: Usage, *, chunk_mb: float) -> None:
        self.prices, self.usage, self.chunk_mb = prices, usage, chunk_mb

    # -- the deployed environment -------------------------------------------------------

    def price_stacks(self, stacks: dict[str, dict[str, Any]]) -> list[LineItem]:
        items: list[LineItem] = []
        for stack, document in stacks.items():
            for resource_type, resources in document.get("resource", {}).items():
                for name, body in resources.items():
                    resource = Resource(stack, resource_type, name, body, document, stacks)
                    if resource_type in FREE:
                        continue
                    pricer = PRICERS.get(resource_type)
                    if pricer is None:
                        raise CostError(
                            f"{stack}: resource type {resource_type} ({name}) is neither priced nor listed as free "
                            "in tooling/cost/model.py: add its pricing (with the price's source) or say why it is free"
                        )
                    for service, description, usd in pricer(self, resource):
                        items.append(
                            LineItem(
                                stack,
                                resource.address,
                                service,
                                description,
                                usd,
                                dict(body.get("tags", {})),
                            )
                        )
        return items

    def p(self, key: str) -> float:
        try:
            return self.prices[key]
        except PricingError as error:
            raise CostError(str(error)) from None

    def at_month(self, month: float) -> CostModel:
        """The same environment after ``month`` months of data (history_months = month)."""
        return CostModel(
            self.prices,
            dataclasses.replace(self.usage, history_months=month),
            chunk_mb=self.chunk_mb,
        )

    @property
    def files(self) -> float:
        return self.usage.files_per_month

    @property
    def chunks(self) -> float:
        return self.files * self.usage.chunks_per_file(self.chunk_mb)

    def lambda_cost(self, resource: Resource) -> list[tuple[str, str, float]]:
        u, body = self.usage, resource.body
        memory_gb = float(body.get("memory_size", 128)) / 1024
        arm = body.get("architectures") == ["arm64"]
        role = resource.role
        invocations, seconds = {
            "ingest": (self.files, u.ingest_seconds_per_file),
            "transform": (
                self.chunks,
                u.transform_seconds_per_gb
                * u.avg_file_mb
                / 1000
                / u.chunks_per_file(self.chunk_mb),
            ),
            "finalize": (self.files, u.finalize_seconds_per_file),
            "notify": (self.files, u.notify_seconds_per_file),
        }.get(role, (0.0, 0.0))
        if invocations == 0:
            raise CostError(f"{resource.address}: no usage model for function role {role!r}")
        gb_seconds = invocations * seconds * memory_gb
        price = self.p("lambda_arm64_gb_second" if arm else "lambda_x86_gb_second")
        extra_storage_gb = (
            max(0.0, float(body.get("ephemeral_storage", {}).get("size", 512)) - 512) / 1024
        )
        items = [
            (
                "Lambda",
                f"{role}: {invocations:,.0f} invocations x {seconds:.1f} s x {memory_gb:.2f} GB ({'arm64' if arm else 'x86'})",
                gb_seconds * price + invocations * self.p("lambda_request"),
            ),
            ("X-Ray", f"{role}: traces", invocations * self.p("xray_trace")),
        ]
        if extra_storage_gb:
            items.append(
                (
                    "Lambda",
                    f"{role}: ephemeral storage",
                    invocations * seconds * extra_storage_gb * self.p("lambda_ephemeral_gb_second"),
                )
            )
        if role == "transform":  # the EMF metrics it emits
            items.append(
                (
                    "CloudWatch",
                    "custom metrics (EMF): 6 names",
                    6 * self.p("cloudwatch_custom_metric_month"),
                )
            )
        return items

    def bucket_cost(self, resource: Resource) -> list[tuple[str, str, float]]:
        u = self.usage
        share = data_shares(u).get(resource.role)
        if share is None:  # artifacts: packages only
            return [("S3", "artifacts: deployment packages", 1.0 * self.p("s3_standard_gb_month"))]
        monthly_gb = u.gb_per_month * share
        expire_days = _expiry(resource)
        kept_months = (
            u.history_months if expire_days is None else min(u.history_months, expire_days / 30)
        )
        stored_gb = monthly_gb * kept_months
        archive = _archive(resource)
        months_standard = kept_months if archive is None else min(kept_months, archive[1] / 30)
        standard_gb = monthly_gb * months_standard
        objects_per_month = {
            "raw": self.files,
            "query-results": u.athena_queries_per_month,
        }.get(resource.role, self.chunks)
        expiry = "" if expire_days is None else f", expiring after {expire_days:.0f} days"
        items = [
            (
                "S3",
                f"{resource.role}: {standard_gb:,.0f} GB Standard{expiry}",
                standard_gb * self.p("s3_standard_gb_month"),
            ),
            (
                "S3",
                f"{resource.role}: requests",
                objects_per_month * (20 * self.p("s3_put_request") + 20 * self.p("s3_get_request")),
            ),
        ]
        if archive is not None:
            storage_class = archive[0]
            label, storage, transition, retrieval = ARCHIVE_CLASSES[storage_class]
            archived_gb = stored_gb - standard_gb
            items.append(
                (
                    "S3",
                    f"{resource.role}: {archived_gb:,.0f} GB {label}",
                    archived_gb * self.p(storage),
                )
            )
            items.append(
                (
                    "S3",
                    f"{resource.role}: lifecycle transitions",
                    objects_per_month * self.p(transition),
                )
            )
            if resource.role == "processed" and retrieval is not None:
                read_gb = min(u.archived_parquet_read_gb_per_month, archived_gb)
                items.append(
                    (
                        "S3",
                        f"{resource.role}: {read_gb:,.0f} GB read from {label}",
                        read_gb * self.p(retrieval),
                    )
                )
        return items


# Storage classes a lifecycle rule may move objects to: (label, storage price, transition price,
# retrieval price per GB for an instant-access class or None). Restores from the archived
# classes (a re-drive of an old raw file) are rare and not modelled.
ARCHIVE_CLASSES: dict[str, tuple[str, str, str, str | None]] = {
    "GLACIER_IR": (
        "Glacier Instant Retrieval",
        "s3_glacier_ir_gb_month",
        "s3_glacier_ir_transition_request",
        "s3_glacier_ir_retrieval_gb",
    ),
    "GLACIER": ("Glacier", "s3_glacier_gb_month", "s3_glacier_transition_request", None),
    "DEEP_ARCHIVE": (
        "Glacier Deep Archive",
        "s3_deep_archive_gb_month",
        "s3_deep_archive_transition_request",
        None,
    ),
}


def _archive(bucket: Resource) -> tuple[str, float] | None:
    """(storage class, days) of the bucket's lifecycle transition, or None without one."""
    for lifecycle in bucket.references("aws_s3_bucket_lifecycle_configuration"):
        for rule in lifecycle.get("rule", []):
            for transition in rule.get("transition", []) or []:
                storage_class = str(transition.get("storage_class"))
                if storage_class not in ARCHIVE_CLASSES:
                    raise CostError(
                        f"{bucket.address}: lifecycle transition to {storage_class} is not priced "
                        "in tooling/cost/model.py (ARCHIVE_CLASSES): add it with its prices"
                    )
                return storage_class, float(transition["days"])
    return None


def _expiry(bucket: Resource) -> float | None:
    """Days after which the bucket's lifecycle expires current objects, or None (kept)."""
    for lifecycle in bucket.references("aws_s3_bucket_lifecycle_configuration"):
        for rule in lifecycle.get("rule", []):
            for expiration in rule.get("expiration", []) or []:
                if expiration.get("days") is not None:
                    return float(expiration["days"])
    return None


def retention(stacks: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Per bucket role that grows with the data, the days after which its lifecycle expires
    current objects (None: kept for ever, so the bucket grows every month)."""
    buckets = [
        Resource(stack, "aws_s3_bucket", name, body, document, stacks)
        for stack, document in stacks.items()
        for name, body in document.get("resource", {}).get("aws_s3_bucket", {}).items()
    ]
    return {bucket.role: _expiry(bucket) for bucket in buckets if bucket.role in GROWING_ROLES}


def _catalog(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    """A Glue database: the stack's catalog objects (itself and its tables; partition
    projection stores no partitions) and the requests Athena makes against it."""
    resources = r.document.get("resource", {})
    databases = max(1, len(resources.get("aws_glue_catalog_database", {})))
    objects = len(resources.get("aws_glue_catalog_database", {})) + len(
        resources.get("aws_glue_catalog_table", {})
    )
    requests = model.usage.athena_queries_per_month * model.usage.glue_requests_per_query
    return [
        (
            "Glue",
            f"Data Catalog: {objects} objects (the first {GLUE_FREE_OBJECTS:,} free)",
            max(0, objects - GLUE_FREE_OBJECTS) / databases * model.p("glue_catalog_object_month"),
        ),
        (
            "Glue",
            f"Data Catalog: {requests / databases:,.0f} requests",
            requests / databases * model.p("glue_catalog_request"),
        ),
    ]


def _workgroup(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    workgroups = max(1, len(r.document.get("resource", {}).get("aws_athena_workgroup", {})))
    tb = model.usage.athena_tb_scanned_per_month / workgroups
    return [("Athena", f"{tb:,.2f} TB scanned", tb * model.p("athena_tb_scanned"))]


def _table(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    u, body = model.usage, r.body
    chunks = u.chunks_per_file(model.chunk_mb)
    items_per_file = 1 + chunks
    # A file: register, finalize, a spare for the failure path. A chunk: RUNNING, then two
    # transactions of a condition check and an update (2 units an item) around publishing.
    writes = model.files * (3 + (1 + 2 * 2 * 2) * chunks) * max(1.0, u.table_item_kb)
    reads = model.files * 4
    stored_gb = model.files * u.history_months * items_per_file * u.table_item_kb / 1e6
    if body.get("billing_mode") == "PAY_PER_REQUEST":
        requests = writes * model.p("dynamodb_write_request_unit") + reads * model.p(
            "dynamodb_read_request_unit"
        )
        capacity = ("DynamoDB", f"on-demand: {writes:,.0f} write units", requests)
    else:
        hours = HOURS_PER_MONTH * (
            float(body.get("write_capacity", 0)) * model.p("dynamodb_wcu_hour")
            + float(body.get("read_capacity", 0)) * model.p("dynamodb_rcu_hour")
        )
        capacity = ("DynamoDB", "provisioned capacity", hours)
    items = [
        capacity,
        (
            "DynamoDB",
            f"storage {stored_gb:.2f} GB",
            stored_gb * model.p("dynamodb_storage_gb_month"),
        ),
    ]
    if body.get("point_in_time_recovery", {}).get("enabled"):
        items.append(
            ("DynamoDB", "point-in-time recovery", stored_gb * model.p("dynamodb_pitr_gb_month"))
        )
    return items


def _backup_plan(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    u = model.usage
    table_gb = (
        model.files
        * u.history_months
        * (1 + u.chunks_per_file(model.chunk_mb))
        * u.table_item_kb
        / 1e6
    )
    days = float(r.body["rule"][0]["lifecycle"]["delete_after"])
    return [
        (
            "AWS Backup",
            f"{days:.0f} daily recovery points",
            table_gb * days * model.p("backup_dynamodb_gb_month"),
        )
    ]


def _state_machine(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    transitions = model.files * (9 + 2 * model.usage.chunks_per_file(model.chunk_mb))
    return [
        (
            "Step Functions",
            f"{transitions:,.0f} state transitions",
            transitions * model.p("sfn_state_transition"),
        )
    ]


def _log_group(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    name = str(r.body.get("name", ""))
    groups = sum(
        len(d.get("resource", {}).get("aws_cloudwatch_log_group", {})) for d in [r.document]
    )
    monthly = (
        model.usage.flow_log_gb_per_month
        if "flow-logs" in name
        else model.usage.log_gb_per_month / max(1, groups)
    )
    retention_months = min(
        float(r.body.get("retention_in_days", 3650)) / 30, model.usage.history_months
    )
    return [
        (
            "CloudWatch Logs",
            f"{name}: ingest and storage",
            monthly * model.p("logs_ingest_gb")
            + monthly * retention_months * model.p("logs_storage_gb_month"),
        )
    ]


def _alarm(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    metrics = [q for q in r.body.get("metric_query", []) if "metric" in q] or [r.body]
    return [
        (
            "CloudWatch",
            f"alarm {r.body.get('alarm_name')}",
            len(metrics) * model.p("cloudwatch_alarm_metric_month"),
        )
    ]


def _topic(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    emails = sum(
        1 for s in r.references("aws_sns_topic_subscription") if s.get("protocol") == "email"
    )
    publishes = model.files * 1.1  # one alert per file, plus alarms
    return [
        (
            "SNS",
            f"{publishes:,.0f} alerts to {emails} e-mail subscriber(s)",
            publishes * model.p("sns_publish") + publishes * emails * model.p("sns_email"),
        )
    ]


def _endpoint(model: CostModel, r: Resource) -> list[tuple[str, str, float]]:
    if r.body.get("vpc_endpoint_type") == "Gateway":
        return [("VPC", f"gateway endpoint {r.body.get('service_name')} (free)", 0.0)]
    azs = len(r.body.get("subnet_ids", [])) or 3
    return [
        (
            "VPC",
            f"interface endpoint {r.body.get('service_name')}",
            azs * HOURS_PER_MONTH * model.p("interface_endpoint_az_hour"),
        )
    ]


PRICERS: dict[str, Callable[[CostModel, Resource], list[tuple[str, str, float]]]] = {
    "aws_lambda_function": CostModel.lambda_cost,
    "aws_s3_bucket": CostModel.bucket_cost,
    "aws_dynamodb_table": _table,
    "aws_backup_plan": _backup_plan,
    "aws_sfn_state_machine": _state_machine,
    "aws_cloudwatch_log_group": _log_group,
    "aws_cloudwatch_metric_alarm": _alarm,
    "aws_cloudwatch_dashboard": lambda m, r: [
        ("CloudWatch", "dashboard", m.p("cloudwatch_dashboard_month"))
    ],
    "aws_sns_topic": _topic,
    "aws_kms_key": lambda m, r: [
        (
            "KMS",
            "customer-managed key and requests",
            m.p("kms_key_month") + m.files * m.usage.kms_requests_per_file * m.p("kms_request"),
        )
    ],
    "aws_sqs_queue": lambda m, r: [("SQS", f"dead-letter queue {r.body.get('name')} (idle)", 0.0)],
    "aws_flow_log": lambda m, r: [("CloudWatch Logs", "flow log delivery (in its log group)", 0.0)],
    "aws_vpc_endpoint": _endpoint,
    "aws_glue_catalog_database": _catalog,
    "aws_athena_workgroup": _workgroup,
    "aws_nat_gateway": lambda m, r: [
        (
            "VPC",
            "NAT gateway",
            HOURS_PER_MONTH * m.p("nat_gateway_hour")
            + m.usage.gb_per_month * m.p("nat_gateway_gb"),
        )
    ],
}


def baseline_items(model: CostModel, legacy: Baseline) -> list[LineItem]:
    """The legacy setup at the same volume, priced from the same table."""
    u, p = model.usage, model.p
    files = model.files
    compute_gb_s = (
        u.gb_per_month
        * u.transform_seconds_per_gb
        * legacy.duration_factor
        * legacy.lambda_memory_mb
        / 1024
    )
    orchestration_gb_s = (
        files
        * legacy.orchestration_invocations_per_file
        * legacy.orchestration_seconds_per_invocation
        * legacy.orchestration_memory_mb
        / 1024
    )
    invocations = model.chunks + files * legacy.orchestration_invocations_per_file
    stored = u.gb_per_month * (1 + u.parquet_ratio + u.quarantine_ratio) * u.history_months
    items = [
        ("Lambda", "ETL on x86, bloated packages", compute_gb_s * p(legacy.lambda_gb_second_price)),
        (
            "Lambda",
            "separately orchestrated functions",
            orchestration_gb_s * p(legacy.lambda_gb_second_price)
            + invocations * p("lambda_request"),
        ),
        (
            "DynamoDB",
            f"{legacy.dynamodb_tables:.0f} tables, provisioned capacity",
            legacy.dynamodb_tables
            * HOURS_PER_MONTH
            * (
                legacy.provisioned_wcu_per_table * p("dynamodb_wcu_hour")
                + legacy.provisioned_rcu_per_table * p("dynamodb_rcu_hour")
            ),
        ),
        (
            "VPC",
            f"{legacy.nat_instances:.0f} NAT instances (m5.large) and their volumes",
            legacy.nat_instances
            * (
                HOURS_PER_MONTH * p("ec2_m5_large_hour")
                + legacy.nat_instance_ebs_gb * p("ebs_gp3_gb_month")
            ),
        ),
        (
            "S3",
            f"{stored:,.0f} GB, all in S3 Standard (no lifecycle)",
            stored * p("s3_standard_gb_month"),
        ),
        (
            "S3",
            "requests",
            (files + model.chunks) * 20 * (p("s3_put_request") + p("s3_get_request")),
        ),
        (
            "CloudWatch Logs",
            "logs never expiring",
            legacy.log_gb_per_month * p("logs_ingest_gb")
            + legacy.log_gb_per_month * legacy.log_retention_months * p("logs_storage_gb_month"),
        ),
        (
            "KMS",
            "key and requests",
            p("kms_key_month") + files * u.kms_requests_per_file * 10 * p("kms_request"),
        ),
        ("SNS", "alerts", files * p("sns_publish")),
    ]
    return [
        LineItem("legacy", "baseline", service, description, usd)
        for service, description, usd in items
    ]


def _tag_tables(items: list[LineItem]) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """Per cost-allocation tag, USD by value, with what carries no such tag as its own row
    (UNTAGGED), so each table sums to the total; $0 rows are left out. And the line items
    without tags, with why."""
    keys = sorted({k for i in items for k in i.tags} - NOT_ALLOCATION_TAGS)
    tables: dict[str, dict[str, float]] = {}
    for key in keys:
        totals: dict[str, float] = defaultdict(float)
        for item in items:
            totals[item.tags.get(key, UNTAGGED)] += item.monthly_usd
        tables[key] = {
            value: round(usd, 2)
            for value, usd in sorted(totals.items(), key=lambda kv: -kv[1])
            if round(usd, 2) != 0
        }
    untagged: dict[str, dict[str, Any]] = {}
    for item in items:
        if set(item.tags) & set(keys):
            continue
        resource_type = item.address.split(".", 1)[0]
        row = untagged.setdefault(
            item.address,
            {
                "resource": f"{item.stack}: {item.address}",
                "service": item.service,
                "monthly_usd": 0.0,
                "why": UNTAGGABLE.get(
                    resource_type, "not tagged: a gap in the FinOps tagging (infra/aspects)"
                ),
            },
        )
        row["monthly_usd"] = round(row["monthly_usd"] + item.monthly_usd, 2)
    return tables, list(untagged.values())


def summarize(
    items: list[LineItem], baseline: list[LineItem], *, raw_gb_per_month: float | None = None
) -> dict[str, Any]:
    def by(key: Callable[[LineItem], str], rows: list[LineItem]) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for row in rows:
            totals[key(row)] += row.monthly_usd
        return {k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}

    after, before = sum(i.monthly_usd for i in items), sum(i.monthly_usd for i in baseline)
    by_tag, untagged = _tag_tables(items)
    unit = (
        {}
        if not raw_gb_per_month
        else {
            "usd_per_raw_gb": round(after / raw_gb_per_month, 4),
            "baseline_usd_per_raw_gb": round(before / raw_gb_per_month, 4),
        }
    )
    return {
        "monthly_usd": round(after, 2),
        "baseline_monthly_usd": round(before, 2),
        "reduction_pct": round(100 * (before - after) / before, 1) if before else 0.0,
        **unit,
        "by_service": by(lambda i: i.service, items),
        "baseline_by_service": by(lambda i: i.service, baseline),
        "by_stack": by(lambda i: i.stack, items),
        "by_tag": by_tag,
        "untagged": untagged,
        "line_items": [
            {
                "stack": i.stack,
                "resource": i.address,
                "service": i.service,
                "description": i.description,
                "monthly_usd": round(i.monthly_usd, 4),
            }
            for i in sorted(items, key=lambda i: -i.monthly_usd)
        ],
        "baseline_items": [
            {
                "service": i.service,
                "description": i.description,
                "monthly_usd": round(i.monthly_usd, 2),
            }
            for i in baseline
        ],
    }


def project(
    model: CostModel,
    stacks: dict[str, dict[str, Any]],
    legacy: Baseline | None,
    months: int = 36,
) -> list[dict[str, Any]]:
    """The monthly bill in each of the first ``months`` months: data accumulates month by
    month (lifecycle transitions and expirations as the stacks configure them), everything
    else at the profile's rates. The legacy baseline alongside, when it is modelled."""
    rows: list[dict[str, Any]] = []
    cumulative = 0.0
    for month in range(1, months + 1):
        at = model.at_month(month)
        items = at.price_stacks(stacks)
        usd = sum(i.monthly_usd for i in items)
        cumulative += usd
        storage = sum(i.monthly_usd for i in items if i.service == "S3")
        row: dict[str, Any] = {
            "month": month,
            "monthly_usd": round(usd, 2),
            "s3_usd": round(storage, 2),
            "cumulative_usd": round(cumulative, 2),
        }
        if legacy is not None:
            row["baseline_monthly_usd"] = round(
                sum(i.monthly_usd for i in baseline_items(at, legacy)), 2
            )
        rows.append(row)
    return rows

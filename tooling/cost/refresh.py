"""Refresh the price table through the AWS Price List API (``pricing`` GetProducts): each
price is queried by its service code and usage type, and written back in the file's format
with the API as its source and the day it was read. A price the API does not answer for keeps
its value and source from the file (and then the file keeps its as_of date)."""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tooling.cost.prices import PriceTable

# The usage-type prefix of each region the price table may cover.
USAGE_PREFIX = {"us-east-2": "USE2"}
# Price key -> (service code, attribute filters); "{p}" is the region's usage-type prefix.
# Usage types: https://docs.aws.amazon.com/cur/latest/userguide/product-columns.html and the
# Price List API's bulk offer files (https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json).
QUERIES: dict[str, tuple[str, dict[str, str]]] = {
    "lambda_arm64_gb_second": ("AWSLambda", {"usagetype": "{p}-Lambda-GB-Second-ARM"}),
    "lambda_x86_gb_second": ("AWSLambda", {"usagetype": "{p}-Lambda-GB-Second"}),
    "lambda_request": ("AWSLambda", {"usagetype": "{p}-Request"}),
    "lambda_ephemeral_gb_second": ("AWSLambda", {"usagetype": "{p}-Lambda-Storage-GB-Second"}),
    "sfn_state_transition": ("AmazonStates", {"usagetype": "{p}-StateTransition"}),
    "dynamodb_write_request_unit": ("AmazonDynamoDB", {"usagetype": "{p}-WriteRequestUnits"}),
    "dynamodb_read_request_unit": ("AmazonDynamoDB", {"usagetype": "{p}-ReadRequestUnits"}),
    "dynamodb_wcu_hour": ("AmazonDynamoDB", {"usagetype": "{p}-WriteCapacityUnit-Hrs"}),
    "dynamodb_rcu_hour": ("AmazonDynamoDB", {"usagetype": "{p}-ReadCapacityUnit-Hrs"}),
    "dynamodb_storage_gb_month": ("AmazonDynamoDB", {"usagetype": "{p}-TimedStorage-ByteHrs"}),
    "dynamodb_pitr_gb_month": ("AmazonDynamoDB", {"usagetype": "{p}-TimedPITRStorage-ByteHrs"}),
    "backup_dynamodb_gb_month": (
        "AWSBackup",
        {"usagetype": "{p}-WarmStorage-ByteHrs-DynamoDB"},
    ),
    "s3_standard_gb_month": ("AmazonS3", {"usagetype": "{p}-TimedStorage-ByteHrs"}),
    "s3_glacier_gb_month": ("AmazonS3", {"usagetype": "{p}-TimedStorage-GlacierByteHrs"}),
    "s3_put_request": ("AmazonS3", {"usagetype": "{p}-Requests-Tier1"}),
    "s3_get_request": ("AmazonS3", {"usagetype": "{p}-Requests-Tier2"}),
    "s3_glacier_transition_request": ("AmazonS3", {"usagetype": "{p}-Requests-Tier3"}),
    "s3_glacier_ir_gb_month": ("AmazonS3", {"usagetype": "{p}-TimedStorage-GIR-ByteHrs"}),
    "s3_glacier_ir_transition_request": ("AmazonS3", {"usagetype": "{p}-Requests-GIR-Tier1"}),
    "s3_glacier_ir_retrieval_gb": ("AmazonS3", {"usagetype": "{p}-Retrieval-GIR"}),
    "s3_deep_archive_gb_month": ("AmazonS3", {"usagetype": "{p}-TimedStorage-GDA-ByteHrs"}),
    "s3_deep_archive_transition_request": ("AmazonS3", {"usagetype": "{p}-Requests-GDA-Tier1"}),
    "nat_gateway_hour": ("AmazonEC2", {"usagetype": "{p}-NatGateway-Hours"}),
    "nat_gateway_gb": ("AmazonEC2", {"usagetype": "{p}-NatGateway-Bytes"}),
    "ec2_m5_large_hour": (
        "AmazonEC2",
        {
            "instanceType": "m5.large",
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
            "licenseModel": "No License required",
        },
    ),
    "ebs_gp3_gb_month": ("AmazonEC2", {"usagetype": "{p}-EBS:VolumeUsage.gp3"}),
    "interface_endpoint_az_hour": ("AmazonVPC", {"usagetype": "{p}-VpcEndpoint-Hours"}),
    "interface_endpoint_gb": ("AmazonVPC", {"usagetype": "{p}-VpcEndpoint-Bytes"}),
    "kms_key_month": ("awskms", {"usagetype": "{p}-KMS-Keys"}),
    "kms_request": ("awskms", {"usagetype": "{p}-KMS-Requests"}),
    "logs_ingest_gb": ("AmazonCloudWatch", {"usagetype": "{p}-DataProcessing-Bytes"}),
    "logs_storage_gb_month": ("AmazonCloudWatch", {"usagetype": "{p}-TimedStorage-ByteHrs"}),
    "cloudwatch_dashboard_month": ("AmazonCloudWatch", {"usagetype": "DashboardsUsageHour"}),
    "cloudwatch_alarm_metric_month": (
        "AmazonCloudWatch",
        {"usagetype": "{p}-CW:AlarmMonitorUsage"},
    ),
    "cloudwatch_custom_metric_month": (
        "AmazonCloudWatch",
        {"usagetype": "{p}-CW:MetricMonitorUsage"},
    ),
    "sns_publish": ("AmazonSNS", {"usagetype": "{p}-Requests-Tier1"}),
    "sns_email": ("AmazonSNS", {"usagetype": "{p}-DeliveryAttempts-SMTP"}),
    "sqs_request": ("AWSQueueService", {"usagetype": "{p}-Requests-Tier1"}),
    "xray_trace": ("AWSXRay", {"usagetype": "{p}-XRay-TracesStored"}),
    "glue_catalog_object_month": ("AWSGlue", {"usagetype": "{p}-Catalog-Storage"}),
    "glue_catalog_request": ("AWSGlue", {"usagetype": "{p}-Catalog-Request"}),
    "athena_tb_scanned": ("AmazonAthena", {"usagetype": "{p}-DataScannedInTB"}),
}


class RefreshError(ValueError):
    pass


def _filters(region: str, attributes: dict[str, str]) -> list[dict[str, str]]:
    prefix = USAGE_PREFIX[region]
    return [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}] + [
        {"Type": "TERM_MATCH", "Field": field, "Value": value.format(p=prefix)}
        for field, value in attributes.items()
    ]


def _first_paid_dimension(price_list: list[str]) -> dict[str, Any] | None:
    """The on-demand price dimension of the lowest tier that is not free (the table prices
    without free tiers), or None."""
    dimensions = []
    for text in price_list:
        product = json.loads(text)
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                usd = float(dimension.get("pricePerUnit", {}).get("USD", 0) or 0)
                if usd > 0:
                    dimensions.append((float(dimension.get("beginRange", 0) or 0), usd, dimension))
    if not dimensions:
        return None
    _, usd, dimension = min(dimensions, key=lambda d: d[0])
    return {**dimension, "usd": usd}


def refresh(table: PriceTable, client: Any, today: datetime.date) -> tuple[PriceTable, list[str]]:
    """The table with every price the API answers for replaced, and the keys it kept."""
    if table.region not in USAGE_PREFIX:
        raise RefreshError(
            f"no Price List usage-type prefix for {table.region}: add it to tooling/cost/refresh.py"
        )
    usd, sources, kept = dict(table.usd), dict(table.sources), []
    for key in table.usd:
        if key not in QUERIES:
            kept.append(key)
            continue
        service, attributes = QUERIES[key]
        price_list: list[str] = []
        arguments: dict[str, Any] = {
            "ServiceCode": service,
            "Filters": _filters(table.region, attributes),
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        while True:
            try:
                page = client.get_products(**arguments)
            except (BotoCoreError, ClientError) as error:
                raise RefreshError(
                    f"the Price List API refused {key} ({service}): {error}"
                ) from None
            price_list += page.get("PriceList", [])
            if not page.get("NextToken"):
                break
            arguments["NextToken"] = page["NextToken"]
        dimension = _first_paid_dimension(price_list)
        if dimension is None:
            kept.append(key)
            continue
        usd[key] = dimension["usd"]
        usage_type = attributes.get("usagetype", "").format(p=USAGE_PREFIX[table.region])
        sources[key] = (
            f"AWS Price List API {service} {usage_type or ', '.join(attributes.values())}: "
            f"{dimension.get('description', '')} (per {dimension.get('unit', '?')}), {today.isoformat()}"
        )
    as_of = today.isoformat() if not kept else table.as_of
    return dataclasses.replace(table, as_of=as_of, usd=usd, sources=sources), kept


def pricing_client() -> Any:
    """A Price List API client (us-east-1 serves every region's prices), or a RefreshError
    saying how to provide credentials."""
    import boto3

    session = boto3.Session()
    try:
        credentials = session.get_credentials()
    except BotoCoreError as error:
        raise RefreshError(f"AWS credentials could not be read: {error}") from None
    if credentials is None:
        raise RefreshError(
            "no AWS credentials to refresh prices with: set AWS_PROFILE (after `aws sso login` "
            "or `aws configure`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the Price List "
            "API needs pricing:GetProducts. Without --refresh-prices the file's prices are used"
        )
    return session.client("pricing", region_name="us-east-1")

"""A real bill to compare against instead of the modelled legacy baseline: a CSV export from
AWS Cost Explorer (the console's "Download CSV": one column per service, ``<service>($)``, a
``Service total`` row and one row per period) or from the Cost and Usage Report (legacy CUR
``lineItem/UnblendedCost`` or CUR 2.0 ``line_item_unblended_cost`` with the product's name or
code), as USD per month by the model's service names."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

# Bill service names (Cost Explorer, CUR product name or code) -> the model's service names.
SERVICES = {
    "amazon simple storage service": "S3",
    "s3": "S3",
    "amazons3": "S3",
    "aws lambda": "Lambda",
    "lambda": "Lambda",
    "awslambda": "Lambda",
    "amazon dynamodb": "DynamoDB",
    "dynamodb": "DynamoDB",
    "amazondynamodb": "DynamoDB",
    "amazon elastic compute cloud - compute": "EC2",
    "amazon elastic compute cloud": "EC2",
    "ec2-instances": "EC2",
    "ec2-other": "EC2",
    "amazonec2": "EC2",
    "amazon virtual private cloud": "VPC",
    "vpc": "VPC",
    "amazonvpc": "VPC",
    "amazoncloudwatch": "CloudWatch",
    "amazon cloudwatch": "CloudWatch",
    "cloudwatch": "CloudWatch",
    "aws key management service": "KMS",
    "key management service": "KMS",
    "awskms": "KMS",
    "amazon simple notification service": "SNS",
    "sns": "SNS",
    "amazonsns": "SNS",
    "amazon simple queue service": "SQS",
    "sqs": "SQS",
    "awsqueueservice": "SQS",
    "aws step functions": "Step Functions",
    "step functions": "Step Functions",
    "amazonstates": "Step Functions",
    "aws backup": "AWS Backup",
    "backup": "AWS Backup",
    "awsbackup": "AWS Backup",
    "aws x-ray": "X-Ray",
    "x-ray": "X-Ray",
    "awsxray": "X-Ray",
    "aws glue": "Glue",
    "glue": "Glue",
    "awsglue": "Glue",
    "amazon athena": "Athena",
    "athena": "Athena",
    "amazonathena": "Athena",
}
CUR_COST = ("lineItem/UnblendedCost", "line_item_unblended_cost")
CUR_SERVICE = (
    "product/ProductName",
    "product_product_name",
    "lineItem/ProductCode",
    "line_item_product_code",
)
CUR_PERIOD = ("bill/BillingPeriodStartDate", "bill_billing_period_start_date")


class BillError(ValueError):
    pass


def _service(name: str) -> str:
    return SERVICES.get(name.strip().lower(), name.strip())


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        return float(text.replace(",", "") or 0)
    except ValueError:
        raise BillError(
            f"{path}: line {line}, column {column!r}: {text!r} is not a cost in USD"
        ) from None


def load_bill(path: Path) -> dict[str, float]:
    """USD per month by service: the export's total divided by the months it covers."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except FileNotFoundError:
        raise BillError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BillError(f"{path}: cannot be read as a CSV file ({error})") from None
    except csv.Error as error:
        raise BillError(f"{path}: not a CSV file ({error})") from None
    if not rows or not rows[0]:
        raise BillError(f"{path}: empty: export a Cost Explorer or CUR CSV")
    header = [h.strip() for h in rows[0]]
    if any(c in header for c in CUR_COST):
        return _cur(path, header, rows[1:])
    if header[0].lower() == "service" and any(h.endswith("($)") for h in header[1:]):
        return _cost_explorer(path, header, rows[1:])
    raise BillError(
        f"{path}: neither a Cost Explorer export (a 'Service' column then '<service>($)' "
        f"columns) nor a CUR export (a {' or '.join(CUR_COST)} column)"
    )


def _cost_explorer(path: Path, header: list[str], rows: list[list[str]]) -> dict[str, float]:
    columns = [
        (index, name[: -len("($)")])
        for index, name in enumerate(header)
        if name.endswith("($)") and name.lower() != "total costs($)"
    ]
    periods = [r for r in rows if r and r[0].strip() and r[0].strip().lower() != "service total"]
    if not periods:
        raise BillError(f"{path}: no period rows (a date in the first column) under the header")
    totals: dict[str, float] = defaultdict(float)
    for line, row in enumerate(periods, start=2):
        for index, name in columns:
            text = row[index].strip() if index < len(row) else ""
            totals[_service(name)] += _number(path, line, header[index], text)
    return {k: round(v / len(periods), 2) for k, v in totals.items() if round(v, 2)}


def _cur(path: Path, header: list[str], rows: list[list[str]]) -> dict[str, float]:
    cost = next(header.index(c) for c in CUR_COST if c in header)
    service = next((header.index(c) for c in CUR_SERVICE if c in header), None)
    if service is None:
        raise BillError(f"{path}: CUR export without a service column ({', '.join(CUR_SERVICE)})")
    period = next((header.index(c) for c in CUR_PERIOD if c in header), None)
    totals: dict[str, float] = defaultdict(float)
    periods: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(cost, service):
            raise BillError(f"{path}: line {line} has {len(row)} columns, the header {len(header)}")
        totals[_service(row[service])] += _number(path, line, header[cost], row[cost].strip())
        if period is not None and len(row) > period:
            periods.add(row[period].strip()[:7])
    if not totals:
        raise BillError(f"{path}: no line items under the header")
    months = max(1, len(periods))
    return {k: round(v / months, 2) for k, v in totals.items() if round(v, 2)}

"""CloudWatch metrics for the local emulator, as AWS would have them after an invocation.

In AWS, CloudWatch Logs extracts the metrics a function prints in the embedded metric format
(EMF) and Lambda publishes its own (``AWS/Lambda``); moto does neither, so the dashboard of a
local deployment would be empty. The handler runner (handler_runner.py) hands each
invocation's output here, and it becomes ``PutMetricData`` calls to the emulator:

- ``emf_metric_data``: an EMF document to ``MetricDatum``s, following the specification
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
  the root's ``_aws`` holds ``Timestamp`` (milliseconds since the epoch) and
  ``CloudWatchMetrics``, a list of directives each with a ``Namespace``, ``Dimensions`` (a list
  of dimension sets, each a list of root member names whose values are strings) and
  ``Metrics`` (``Name``, optional ``Unit``, optional ``StorageResolution`` 1 or 60); each metric's
  value is the root member of its name, a number or a list of numbers. One datum per metric and
  dimension set. A line that is not such a document extracts nothing (CloudWatch keeps it as a
  log line only).
- ``lambda_metric_data``: ``Invocations``, ``Errors``, ``Duration`` and ``Throttles`` per
  ``FunctionName``, as Lambda reports them (the runner never throttles: 0).
- ``batches``: within PutMetricData's documented limits
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html):
  at most 1000 metrics per request, 150 values per metric, 1 MB per request, 30 dimensions
  per metric.

``moto_reads_what_the_dashboard_asks``: GetMetricData in moto 5.2 computes no percentile (it
answers 500 on ``p95``) and evaluates no metric math beyond a bare id; the dashboard asks for
both. Patched here, next to the metrics they read, with a test that fails once moto does
either itself (tooling/emulator/tests/test_metrics.py).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeGuard

MAX_METRICS_PER_REQUEST = 1000
MAX_VALUES_PER_METRIC = 150
MAX_REQUEST_BYTES = 1_000_000  # 1 MB
# The data's compact JSON is counted against 90 % of it: the request's own encoding (query
# string, JSON or CBOR, as the SDK chooses) frames the same fields a little differently.
REQUEST_BUDGET = MAX_REQUEST_BYTES * 9 // 10
MAX_DIMENSIONS = 30
LAMBDA_NAMESPACE = "AWS/Lambda"

Datum = dict[str, Any]


def emf_documents(output: str) -> Iterator[dict[str, Any]]:
    """The EMF documents among an invocation's output lines (Powertools prints one per flush)."""
    for line in output.splitlines():
        line = line.strip()
        if not (line.startswith("{") and '"_aws"' in line):
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict):
            yield document


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def emf_metric_data(document: dict[str, Any]) -> list[tuple[str, Datum]]:
    """(namespace, MetricDatum) for each metric and dimension set of an EMF document; [] when
    the document does not follow the specification."""
    metadata = document.get("_aws")
    if not isinstance(metadata, dict):
        return []
    directives, timestamp_ms = metadata.get("CloudWatchMetrics"), metadata.get("Timestamp")
    if not isinstance(directives, list) or not _number(timestamp_ms):
        return []
    timestamp = dt.datetime.fromtimestamp(timestamp_ms / 1000, dt.UTC)
    found: list[tuple[str, Datum]] = []
    for directive in directives:
        if not isinstance(directive, dict):
            continue
        namespace = directive.get("Namespace")
        dimension_sets = directive.get("Dimensions")
        definitions = directive.get("Metrics")
        if not (isinstance(namespace, str) and namespace):
            continue
        if not isinstance(dimension_sets, list) or not isinstance(definitions, list):
            continue
        dimensions = [_dimensions(document, names) for names in dimension_sets] or [[]]
        for definition in definitions:
            if not isinstance(definition, dict) or not isinstance(definition.get("Name"), str):
                continue
            name = definition["Name"]
            raw = document.get(name)
            values = raw if isinstance(raw, list) else [raw]
            if not values or not all(_number(v) for v in values):
                continue  # a metric without a numeric target member extracts nothing
            datum: Datum = {"MetricName": name, "Timestamp": timestamp, "Values": values}
            if isinstance(definition.get("Unit"), str):
                datum["Unit"] = definition["Unit"]
            if definition.get("StorageResolution") in (1, 60):
                datum["StorageResolution"] = definition["StorageResolution"]
            for dims in dimensions:
                if dims is not None:
                    found.append((namespace, {**datum, "Dimensions": dims}))
    return found


def _dimensions(document: dict[str, Any], names: Any) -> list[dict[str, str]] | None:
    """A dimension set's dimensions; None when the set is invalid (not names, too many, or a
    name whose root member is not a string)."""
    if not isinstance(names, list) or len(names) > MAX_DIMENSIONS:
        return None
    dimensions = []
    for name in names:
        value = document.get(name) if isinstance(name, str) else None
        if not isinstance(value, str) or not value:
            return None
        dimensions.append({"Name": name, "Value": value})
    return dimensions


def lambda_metric_data(
    function_name: str, *, duration_ms: float, error: bool, at: dt.datetime
) -> list[tuple[str, Datum]]:
    """What Lambda publishes for one invocation of ``function_name``."""
    dimensions = [{"Name": "FunctionName", "Value": function_name}]
    return [
        (LAMBDA_NAMESPACE, {"MetricName": name, "Dimensions": dimensions, "Timestamp": at, **rest})
        for name, rest in (
            ("Invocations", {"Value": 1, "Unit": "Count"}),
            ("Errors", {"Value": 1 if error else 0, "Unit": "Count"}),
            ("Throttles", {"Value": 0, "Unit": "Count"}),
            ("Duration", {"Value": round(duration_ms, 3), "Unit": "Milliseconds"}),
        )
    ]


def _split_values(datum: Datum) -> Iterator[Datum]:
    values = datum.get("Values")
    if values is None or len(values) <= MAX_VALUES_PER_METRIC:
        yield datum
        return
    for start in range(0, len(values), MAX_VALUES_PER_METRIC):
        yield {**datum, "Values": values[start : start + MAX_VALUES_PER_METRIC]}


def _size(datum: Datum) -> int:
    return len(json.dumps(datum, default=str, separators=(",", ":")).encode()) + 1


def batches(data: Iterable[tuple[str, Datum]]) -> Iterator[tuple[str, list[Datum]]]:
    """PutMetricData requests (namespace, MetricData) for ``data``, in order, each within the
    limits above; one namespace per request, as the API takes it."""
    by_namespace: dict[str, list[Datum]] = {}
    for namespace, datum in data:
        by_namespace.setdefault(namespace, []).extend(_split_values(datum))
    for namespace, items in by_namespace.items():
        batch: list[Datum] = []
        size = len(namespace) + 64
        for datum in items:
            if batch and (
                len(batch) == MAX_METRICS_PER_REQUEST or size + _size(datum) > REQUEST_BUDGET
            ):
                yield namespace, batch
                batch, size = [], len(namespace) + 64
            batch.append(datum)
            size += _size(datum)
        if batch:
            yield namespace, batch


def publish(cloudwatch: Any, data: Sequence[tuple[str, Datum]]) -> int:
    """PutMetricData for ``data``; the number of requests made."""
    requests = 0
    for namespace, metric_data in batches(data):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=metric_data)
        requests += 1
    return requests


# -- what moto's GetMetricData lacks -------------------------------------------------------

_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of raw values (CloudWatch's for values it holds raw)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class MathError(ValueError):
    pass


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))")


def evaluate(expression: str, series: dict[str, dict[dt.datetime, float]]) -> dict[Any, float]:
    """A metric math expression over time series (id -> timestamp -> value): numbers, ids,
    ``+ - * /``, comparisons (1 or 0) and ``IF(condition, a, b)``, as in "Metric math syntax and
    functions" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
    Evaluated at each timestamp every series it names has a value at; a division by zero gives
    no value there."""
    tokens: list[str] = []
    position = 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if not match:
            raise MathError(f"cannot read {expression[position:]!r}")
        tokens.append(match.group(match.lastindex or 0))
        position = match.end()
    names = {t for t in tokens if t in series}
    unknown = {t for t in tokens if re.match(r"[A-Za-z_]", t) and t not in series} - {"IF"}
    if unknown:
        raise MathError(f"unknown id(s) {sorted(unknown)} in {expression!r}")
    stamps = set.intersection(*(set(series[n]) for n in names)) if names else set()
    result: dict[Any, float] = {}
    for stamp in sorted(stamps):
        parser = _Parser(tokens, {n: series[n][stamp] for n in names})
        try:
            value = parser.parse()
        except ZeroDivisionError:
            continue
        result[stamp] = value
    return result


class _Parser:
    """Recursive descent: comparison < additive < multiplicative < unary < primary."""

    def __init__(self, symbols: list[str], values: dict[str, float]) -> None:
        self.symbols, self.values, self.at = symbols, values, 0

    def parse(self) -> float:
        value = self._comparison()
        if self.at != len(self.symbols):
            raise MathError(f"unexpected {self.symbols[self.at]!r}")
        return value

    def _peek(self) -> str | None:
        return self.symbols[self.at] if self.at < len(self.symbols) else None

    def _take(self, expected: str | None = None) -> str:
        symbol = self._peek()
        if symbol is None or (expected is not None and symbol != expected):
            raise MathError(f"expected {expected or 'more'}, found {symbol!r}")
        self.at += 1
        return symbol

    def _comparison(self) -> float:
        left = self._additive()
        while self._peek() in (">", "<", ">=", "<=", "==", "!="):
            op, right = self._take(), self._additive()
            left = float(
                {
                    ">": left > right,
                    "<": left < right,
                    ">=": left >= right,
                    "<=": left <= right,
                    "==": left == right,
                    "!=": left != right,
                }[op]
            )
        return left

    def _additive(self) -> float:
        left = self._multiplicative()
        while self._peek() in ("+", "-"):
            op, right = self._take(), self._multiplicative()
            left = left + right if op == "+" else left - right
        return left

    def _multiplicative(self) -> float:
        left = self._unary()
        while self._peek() in ("*", "/"):
            op, right = self._take(), self._unary()
            left = left * right if op == "*" else left / right
        return left

    def _unary(self) -> float:
        if self._peek() == "-":
            self._take()
            return -self._unary()
        return self._primary()

    def _primary(self) -> float:
        symbol = self._take()
        if symbol == "(":
            value = self._comparison()
            self._take(")")
            return value
        if symbol == "IF":
            self._take("(")
            condition = self._comparison()
            self._take(",")
            # Both branches are parsed; only the chosen one's division by zero matters.
            yes = self._branch()
            self._take(",")
            no = self._branch()
            self._take(")")
            chosen = yes if condition else no
            if chosen is None:
                raise ZeroDivisionError
            return chosen
        if symbol in self.values:
            return self.values[symbol]
        try:
            return float(symbol)
        except ValueError:
            raise MathError(f"unexpected {symbol!r}") from None

    def _branch(self) -> float | None:
        start = self.at
        try:
            return self._comparison()
        except ZeroDivisionError:
            self.at = start
            self._skip_branch()
            return None

    def _skip_branch(self) -> None:
        depth = 0
        while (symbol := self._peek()) is not None:
            if symbol == "(":
                depth += 1
            elif symbol == ")":
                if depth == 0:
                    return
                depth -= 1
            elif symbol == "," and depth == 0:
                return
            self.at += 1


def moto_reads_what_the_dashboard_asks() -> None:
    """Percentile statistics (``p50``, ``p99.9``) and metric math in moto's GetMetricData."""
    from moto.cloudwatch import models

    if getattr(models, "_pipeline_metrics_patched", False):
        return
    get_statistic = models.Statistics.get_statistics_for_type

    def get_statistics_for_type(self: Any, stat: str) -> Any:
        match = _PERCENTILE.match(stat)
        if not match:
            return get_statistic(self, stat)
        values = self.metric_single_values_list
        return percentile(values, float(match.group(1))) if values else None

    def parse_expression(
        expression: str, results: list[dict[str, Any]]
    ) -> tuple[list[float], list[dt.datetime]]:
        series = {r["id"]: dict(zip(r["timestamps"], r["values"], strict=True)) for r in results}
        evaluated = evaluate(expression, series)
        stamps = sorted(evaluated)
        return [evaluated[s] for s in stamps], stamps

    MOTO_ORIGINALS.update(statistic=get_statistic, expression=vars(models)["parse_expression"])
    models.Statistics.get_statistics_for_type = get_statistics_for_type  # type: ignore[method-assign]
    setattr(models, "parse_expression", parse_expression)  # noqa: B010  (not exported)
    models._pipeline_metrics_patched = True  # type: ignore[attr-defined]


MOTO_ORIGINALS: dict[str, Any] = {}  # what the patch replaced, for the test that moto lacks it

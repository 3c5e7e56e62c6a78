"""The report's charts (PNG and SVG, matplotlib's Agg backend): monthly cost by service,
legacy next to now, on a log scale so that a $1 service shows next to a $5,000 one; and the
36-month projection."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # (after choosing the backend)
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter

LEGACY, NOW = "#9e9e9e", "#1f6fb2"
FLOOR = 0.01  # the log scale's left edge: a $0 bar is drawn as nothing, labelled $0
# Dollar signs are text, not mathtext delimiters.
STYLE = {"text.parse_math": False, "font.size": 9}
Params = ParamSpec("Params")
Result = TypeVar("Result")


def _styled(draw: Callable[Params, Result]) -> Callable[Params, Result]:
    @functools.wraps(draw)
    def styled(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        with plt.rc_context(STYLE):
            return draw(*args, **kwargs)

    return styled


def _usd(value: float) -> str:
    if value == 0:
        return "$0"
    if value < FLOOR:
        return f"<${FLOOR}"
    if value < 10:
        return f"${value:,.2f}"
    return f"${value:,.0f}"


def _save(figure: Figure, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    figure.savefig(paths[0], dpi=130)
    figure.savefig(paths[1], metadata={"Date": None})
    plt.close(figure)
    return paths


@_styled
def comparison_chart(
    before: dict[str, float],
    after: dict[str, float],
    *,
    title: str,
    footer: str,
    before_label: str,
    stem: Path,
) -> list[Path]:
    """Sorted horizontal bars per service (largest first), legacy and now; writes
    ``stem``.png and ``stem``.svg and returns their paths."""
    services = sorted(
        set(before) | set(after), key=lambda s: max(before.get(s, 0), after.get(s, 0))
    )
    height = 1.6 + 0.42 * len(services)
    figure, axes = plt.subplots(figsize=(10, height))
    rows = range(len(services))
    top = max([*before.values(), *after.values(), 1.0])
    for offset, values, colour, label in (
        (0.2, before, LEGACY, before_label),
        (-0.2, after, NOW, "now"),
    ):
        usd = [values.get(s, 0.0) for s in services]
        axes.barh(
            [r + offset for r in rows],
            [max(v - FLOOR, 0.0) for v in usd],  # from FLOOR to the value
            height=0.38,
            left=FLOOR,
            color=colour,
            label=label,
        )
        for row, value in zip(rows, usd, strict=True):
            axes.text(
                max(value, FLOOR) * 1.08,
                row + offset,
                _usd(value),
                va="center",
                fontsize=8,
            )
    axes.set_xscale("log")
    axes.set_xlim(FLOOR, top * 8)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _usd(x)))
    axes.set_yticks(list(rows), services)
    axes.set_xlabel("USD per month (log scale)")
    axes.grid(axis="x", which="major", alpha=0.3)
    axes.legend(loc="lower right", fontsize=9)
    axes.set_title(title, fontsize=11, loc="left")
    _footer(figure, footer)
    return _save(figure, stem)


def _footer(figure: Figure, text: str) -> None:
    """``text`` along the bottom, wrapped to the figure's width, the plot kept clear of it."""
    width_in, height_in = figure.get_size_inches()
    lines = textwrap.wrap(text, width=int(width_in * 17))  # ~17 characters an inch at 7.5 pt
    figure.text(0.01, 0.005, "\n".join(lines), fontsize=7.5, color="#444444", va="bottom")
    reserved = (0.14 * len(lines) + 0.1) / height_in  # 7.5 pt lines, ~0.14 in each
    figure.set_layout_engine(ConstrainedLayoutEngine(rect=(0, reserved, 1, 1 - reserved)))


@_styled
def projection_chart(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    footer: str,
    stem: Path,
    snapshot: int,
) -> list[Path]:
    """The monthly bill over the projection's months: total, the S3 part of it, and the
    modelled legacy bill when the rows carry it; a line at the report's ``snapshot`` month."""
    figure, axes = plt.subplots(figsize=(10, 5))
    months = [r["month"] for r in rows]
    series = [("now: total", "monthly_usd", NOW, "-"), ("now: S3", "s3_usd", NOW, ":")]
    if "baseline_monthly_usd" in rows[0]:
        series.insert(0, ("legacy (modelled)", "baseline_monthly_usd", LEGACY, "-"))
    for label, key, colour, style in series:
        values = [r[key] for r in rows]
        axes.plot(months, values, style, color=colour, label=label, linewidth=2)
    axes.axvline(snapshot, color="#444444", linestyle=":", linewidth=1)
    axes.annotate(
        f"the report's month {snapshot}",
        (snapshot, 0),
        textcoords="offset points",
        xytext=(4, 6),
        fontsize=8,
        color="#444444",
    )
    for row in rows:
        if row["month"] % 12 == 0:
            axes.annotate(
                f"month {row['month']}: {_usd(row['monthly_usd'])}",
                (row["month"], row["monthly_usd"]),
                textcoords="offset points",
                xytext=(-8, 10),
                ha="right",
                fontsize=8,
                color=NOW,
            )
    axes.set_xlim(1, months[-1])
    axes.set_ylim(bottom=0)
    axes.set_xticks([1, *range(6, months[-1] + 1, 6)])
    axes.yaxis.set_major_formatter(FuncFormatter(lambda x, _: _usd(x)))
    axes.set_xlabel("month since the first data arrived")
    axes.set_ylabel("USD per month")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=9)
    axes.set_title(title, fontsize=11, loc="left")
    _footer(figure, footer)
    return _save(figure, stem)

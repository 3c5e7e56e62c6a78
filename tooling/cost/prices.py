"""The dated price table (prices-us-east-2.toml): every price has a source."""

from __future__ import annotations

import datetime
import importlib.resources
import tomllib
from dataclasses import dataclass
from pathlib import Path

PRICE_FILE = Path(__file__).with_name("prices-us-east-2.toml")
# Older than this, the report warns: AWS changes list prices a few times a year.
MAX_AGE_DAYS = 90
HEADER = """\
# AWS list prices for {region}, on-demand, without free tiers or discounts.
# Taken from the AWS pricing pages (or the Price List API) named in each `source` as of
# `as_of`; refresh them with `envs/<env>:cost -- --refresh-prices` (docs/cost-optimization.md).
"""


def read_table(path: Path) -> str:
    """A table of this package (prices, profiles): the file, or the copy packaged with the
    module (inside a PEX)."""
    if path.is_file():
        return path.read_text()
    return importlib.resources.files("tooling.cost").joinpath(path.name).read_text()


class PricingError(ValueError):
    pass


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    region: str
    usd: dict[str, float]
    sources: dict[str, str]

    @classmethod
    def load(cls, path: Path = PRICE_FILE, *, region: str = "us-east-2") -> PriceTable:
        data = tomllib.loads(read_table(path))
        if data.get("region") != region:
            raise PricingError(
                f"{path} prices {data.get('region')!r}, not {region!r}: add a price table for {region}"
            )
        prices = data.get("prices", {})
        for key, entry in prices.items():
            if (
                not isinstance(entry.get("usd"), int | float)
                or entry["usd"] < 0
                or not entry.get("source")
            ):
                raise PricingError(f"{path}: price {key} needs a non-negative usd and a source")
        return cls(
            data["as_of"],
            region,
            {k: float(v["usd"]) for k, v in prices.items()},
            {k: v["source"] for k, v in prices.items()},
        )

    def __getitem__(self, key: str) -> float:
        try:
            return self.usd[key]
        except KeyError:
            raise PricingError(
                f"no price {key!r} in the price table: add it with its source"
            ) from None

    def age_warning(self, today: datetime.date) -> str | None:
        """A warning when the table is older than MAX_AGE_DAYS, else None."""
        age = (today - datetime.date.fromisoformat(self.as_of)).days
        if age <= MAX_AGE_DAYS:
            return None
        return (
            f"the price table is {age} days old (as of {self.as_of}, more than {MAX_AGE_DAYS}): "
            "re-check it, or refresh it with --refresh-prices"
        )

    def toml(self) -> str:
        """The table in the file's own format (what ``load`` reads)."""

        def quoted(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

        lines = [
            HEADER.format(region=self.region).rstrip("\n"),
            f"as_of = {quoted(self.as_of)}",
            f"region = {quoted(self.region)}",
            'currency = "USD"',
            "",
        ]
        for key in self.usd:
            lines += [
                f"[prices.{key}]",
                f"usd = {self.usd[key]!r}",
                f"source = {quoted(self.sources[key])}",
            ]
        return "\n".join(lines) + "\n"

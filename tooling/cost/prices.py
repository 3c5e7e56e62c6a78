"""The dated price table (prices-us-east-2.toml): every price has a source."""

from __future__ import annotations

import importlib.resources
import tomllib
from dataclasses import dataclass
from pathlib import Path

PRICE_FILE = Path(__file__).with_name("prices-us-east-2.toml")


def _read(path: Path) -> str:
    """The file, or the copy packaged with this module (inside a PEX)."""
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
        data = tomllib.loads(_read(path))
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

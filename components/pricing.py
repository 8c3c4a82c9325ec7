"""The dated price table (components/prices/<region>.yaml), read by `mlplat cost` and by the
stack program (the cost dashboard's GPU-hour price)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PRICES = Path(__file__).resolve().parent / "prices"


class PriceTableError(Exception):
    """No price table for a region."""


@dataclass(frozen=True)
class Prices:
    as_of: str
    region: str
    hours: float
    factor: float
    spot_discount: float
    services: Mapping[str, float]
    idle_log_gb: Mapping[str, float]
    platform: Mapping[str, float]
    ec2: Mapping[str, Mapping[str, float]]
    rds: Mapping[str, float]

    def instance_hour(self, instance_type: str, *, spot: bool = False) -> float:
        price = self.ec2[instance_type]["price"] * self.factor
        return price * (1 - self.spot_discount) if spot else price

    def month(self, hourly: float) -> float:
        return hourly * self.hours


@cache
def load_prices(region: str) -> Prices:
    path = PRICES / f"{region}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        expected = path.relative_to(PRICES.parent.parent)
        message = f"no price table for region {region!r}: expected {expected}"
        raise PriceTableError(message) from None
    return Prices(
        as_of=str(raw["as_of"]),
        region=str(raw["region"]),
        hours=float(raw["hours_per_month"]),
        factor=float(raw["regional_factor"]),
        spot_discount=float(raw["spot_discount"]),
        services=raw["services"],
        idle_log_gb=raw["idle_log_gb_month"],
        platform=raw["platform_requests"],
        ec2=raw["ec2"],
        rds=raw["rds"],
    )


def cheapest_gpu_hour(prices: Prices, families: Iterable[str]) -> float:
    """The cheapest on-demand GPU-hour among these instance families."""
    wanted = set(families)
    return min(
        prices.instance_hour(t) / spec["gpus"]
        for t, spec in prices.ec2.items()
        if spec.get("gpus") and t.split(".")[0] in wanted
    )


def gpu_hour_prices(
    prices: Prices, *, families: Iterable[str], types: Iterable[str], spot_only: bool
) -> dict[str, float]:
    """Per-GPU hourly price of every priced GPU instance type a pool may launch: its `types`
    if it names them, else every type of its `families`; spot prices if it runs spot only."""
    named, wanted = set(types), set(families)
    return {
        t: prices.instance_hour(t, spot=spot_only) / spec["gpus"]
        for t, spec in prices.ec2.items()
        if spec.get("gpus") and (t in named if named else t.split(".")[0] in wanted)
    }

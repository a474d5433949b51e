"""Care-bed demand and supply projected to the horizon: demand rules (need-based or per-1,000 norm), the build plan,
survival of existing beds, the closing year and the build rate that closes the gap by a target year. Pure numpy
(no Streamlit, no database).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.core.scenario import Scenario

BASE_YEAR = 2020


END_YEAR = 2035


YEARS = np.arange(BASE_YEAR, END_YEAR + 1)


NOT_CLOSED = 9999  # closing year when the gap does not close within the horizon


@dataclass(frozen=True)
class DemandRule:
    """How many beds older people need; shares are fractions (0.15, not 15)."""

    method: str = "need"  # "need" | "norm"
    norm_per_1000: float = 35.0
    need_60_79: float = 0.15
    need_80_plus: float = 0.40
    bed_use: float = 0.635
    occupancy: float = 0.85

    def __post_init__(self) -> None:
        if self.method not in ("need", "norm"):
            raise ValueError(f"unknown demand method {self.method!r} (expected 'need' or 'norm')")
        if not 0 < self.occupancy <= 1:
            raise ValueError(f"occupancy must be in (0, 1], got {self.occupancy!r}")


@dataclass(frozen=True)
class Plan:
    """Growth of the older population and of supply; rates are fractions per year."""

    growth_60_plus: float = 0.025
    growth_80_plus: float = 0.03
    new_per_year: float = 500.0
    closure_rate: float = 0.0
    base_year: int = BASE_YEAR
    end_year: int = END_YEAR

    def __post_init__(self) -> None:
        if not 0 <= self.closure_rate < 1:
            raise ValueError(f"closure rate must be in [0, 1), got {self.closure_rate!r}")
        if self.end_year < self.base_year:
            raise ValueError(f"end year {self.end_year} is before base year {self.base_year}")

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.base_year, self.end_year + 1)


def demand_beds(aged_60_plus, aged_80_plus, rule: DemandRule) -> np.ndarray:
    """Beds needed by a population (arrays broadcast); see the module docstring for both methods."""
    p60 = np.asarray(aged_60_plus, dtype=float)
    p80 = np.minimum(np.asarray(aged_80_plus, dtype=float), p60)
    if rule.method == "norm":
        return p60 * rule.norm_per_1000 / 1000.0
    needing_care = (p60 - p80) * rule.need_60_79 + p80 * rule.need_80_plus
    return needing_care * rule.bed_use / rule.occupancy


def _survival(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """d^k (share of base-year beds still open) and A_k = Σ_{j<k} d^j (open beds per bed/yr built) by year."""
    k = plan.years - plan.base_year
    d = 1.0 - plan.closure_rate
    dk = d ** k
    built = k.astype(float) if plan.closure_rate == 0 else (1.0 - dk) / plan.closure_rate
    return dk, built


@dataclass(frozen=True)
class Projection:
    """Arrays of shape (areas, years); `closing_year` has shape (areas,), NOT_CLOSED if never."""

    years: np.ndarray
    aged_60_plus: np.ndarray
    aged_80_plus: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    gap: np.ndarray
    closing_year: np.ndarray
    reopens: np.ndarray  # closed in some year but open again by the end year


def project(aged_60_plus, aged_80_plus, supply, rule: DemandRule, plan: Plan,
            new_per_year=None) -> Projection:
    """Project population, demand, supply and gap for every area over the plan's years.

    Inputs are 1-D arrays (one value per area); `new_per_year` overrides `plan.new_per_year` and may
    be an array (one build rate per area).
    """
    p60 = np.atleast_1d(np.asarray(aged_60_plus, dtype=float))
    p80 = np.atleast_1d(np.asarray(aged_80_plus, dtype=float))
    s0 = np.atleast_1d(np.asarray(supply, dtype=float))
    b = np.broadcast_to(np.asarray(plan.new_per_year if new_per_year is None else new_per_year, dtype=float),
                        s0.shape)
    k = plan.years - plan.base_year
    pop60 = p60[:, None] * (1.0 + plan.growth_60_plus) ** k[None, :]
    pop80 = np.minimum(p80[:, None] * (1.0 + plan.growth_80_plus) ** k[None, :], pop60)
    demand = demand_beds(pop60, pop80, rule)
    dk, built = _survival(plan)
    supply_t = s0[:, None] * dk[None, :] + b[:, None] * built[None, :]
    gap = demand - supply_t
    closed = gap <= _closed_tolerance(demand)
    any_closed = closed.any(axis=1)
    first = np.argmax(closed, axis=1)
    closing = np.where(any_closed, plan.years[first], NOT_CLOSED)
    reopens = any_closed & ~closed[:, -1]
    return Projection(plan.years, pop60, pop80, demand, supply_t, gap, closing, reopens)


def _closed_tolerance(demand: np.ndarray) -> np.ndarray:
    # Floating-point slack so a build rate that is exactly enough counts as closing the gap.
    return 1e-9 * np.maximum(np.abs(demand), 1.0)


def required_per_year(aged_60_plus, aged_80_plus, supply, rule: DemandRule, plan: Plan,
                      target_year: int) -> np.ndarray:
    """New beds a year needed so that supply meets demand in `target_year` (0 if already met)."""
    if not plan.base_year < target_year <= plan.end_year:
        raise ValueError(f"target year {target_year} must be after {plan.base_year} and not after {plan.end_year}")
    p60 = np.atleast_1d(np.asarray(aged_60_plus, dtype=float))
    p80 = np.atleast_1d(np.asarray(aged_80_plus, dtype=float))
    s0 = np.atleast_1d(np.asarray(supply, dtype=float))
    k = target_year - plan.base_year
    pop60 = p60 * (1.0 + plan.growth_60_plus) ** k
    pop80 = np.minimum(p80 * (1.0 + plan.growth_80_plus) ** k, pop60)
    demand_t = demand_beds(pop60, pop80, rule)
    dk, built = _survival(plan)
    return np.maximum(0.0, (demand_t - s0 * dk[k]) / built[k])


def nursing_share(beds: float, nursing_beds: float) -> float | None:
    """Care-type (护理型) beds as a share of institutional beds, or None without beds."""
    return None if beds <= 0 else nursing_beds / beds


def nursing_beds_short(beds: float, nursing_beds: float, target_share: float) -> float:
    """Care-type beds to convert or add so that they reach `target_share` of institutional beds."""
    return max(0.0, target_share * beds - nursing_beds)


def rule_from(scenario: Scenario) -> DemandRule:
    return DemandRule(
        method=scenario["beds_demand_method"],
        norm_per_1000=float(scenario["beds_norm_per_1000"]),
        need_60_79=scenario["beds_ltc_need_60_79_pct"] / 100.0,
        need_80_plus=scenario["beds_ltc_need_80_plus_pct"] / 100.0,
        bed_use=scenario["beds_bed_use_pct"] / 100.0,
        occupancy=scenario["beds_occupancy_pct"] / 100.0,
    )


def plan_from(scenario: Scenario) -> Plan:
    return Plan(
        growth_60_plus=scenario["beds_growth_60_plus_pct_per_year"] / 100.0,
        growth_80_plus=scenario["beds_growth_80_plus_pct_per_year"] / 100.0,
        new_per_year=float(scenario["beds_new_per_year"]),
        closure_rate=scenario["beds_closure_pct_per_year"] / 100.0,
    )

"""The demonstration layer's totals and rules (docs/demo-layer.md, "Another city"). No Streamlit.

`Totals` (what the user gives, read from TOML/JSON) and `GENERIC` (the rule-of-thumb densities for the rest),
the splitting rule (`apportion`, largest remainder) and the committee naming rules, shared by
`dashboard.data.demo_build` and scripts/make_demo_data.py (the Jingzhou layer).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SOURCE_ID = "demo_layer"
DEFAULT_SEED = 2020
GRID_DEG = 1e-5
CARE_TYPES = ("urban_public", "urban_private", "home_care_centre", "rural")

# Rule-of-thumb densities used when no total is given (docs/demo-layer.md, "Another city").
GENERIC = {
    "residents_per_community": 6_000,  # urban residents' committee (illustrative)
    "residents_per_village": 1_500,  # villagers' committee (illustrative)
    "household_size": 2.62,  # 2020 census, national average family household
    "aged_60_share": 0.1870,  # 2020 census, national share aged 60+
    "aged_80_share": 0.0254,  # 2020 census, national share aged 80+
    "residents_per_compound": 800,  # community residents per compound (illustrative)
    "managed_share": 0.5,  # compounds with property management (illustrative)
    "owners_committee_share": 0.15,  # compounds with an owners' committee (illustrative)
    "residents_per_station": 15_000,  # one station per ~15,000 residents beyond the centres (illustrative)
    "gps_per_10k": 2.0,  # 2 GPs per 10,000 residents (national 2020 goal 2-3)
    "beds_per_1000_aged_60": 30,  # elderly-care beds per 1,000 aged 60+ (national order of magnitude)
    "bed_share": {"urban_public": 0.15, "urban_private": 0.30, "home_care_centre": 0.25, "rural": 0.30},
    "beds_per_facility": {"urban_public": 150, "urban_private": 100, "home_care_centre": 40, "rural": 40},
    "workers_per_10k": 18,  # community workers per 10,000 urban residents (Ministry of Civil Affairs guide)
    "households_per_grid": 300,  # 300-500 households per grid (common urban guidance)
    "party_cadres_per_grid": 8,  # illustrative
    "pay_min": 30_000,
    "pay_max": 60_000,
}


class DemoError(ValueError):
    """A totals file or a data folder the demonstration layer cannot be built from (names file and field)."""


@dataclass
class Totals:
    """Totals to calibrate to; any left out come from GENERIC (the layer's source note says which)."""

    residents: dict[str, int] = field(default_factory=dict)  # central district code -> residents
    compounds: int | None = None
    managed_share: float | None = None
    owners_committee_share: float | None = None
    centres: int | None = None
    stations: int | None = None
    gps: int | None = None
    care_facilities: dict[str, int] = field(default_factory=dict)  # type -> institutions
    care_beds: dict[str, int] = field(default_factory=dict)  # type -> beds
    community_workers: int | None = None
    grids: int | None = None
    party_cadres: int | None = None
    household_size: float | None = None
    aged_60_share: float | None = None
    aged_80_share: float | None = None
    pay_min: int | None = None
    pay_max: int | None = None
    seed: int = DEFAULT_SEED

    @property
    def given(self) -> list[str]:
        out = []
        for k, v in self.__dict__.items():
            if k != "seed" and v not in (None, {}, []):
                out.append(k)
        return out

    @classmethod
    def read(cls, path: Path) -> Totals:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DemoError(f"{path}: cannot read the totals file ({exc.strerror})") from None
        try:
            raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise DemoError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: dict, where: str = "totals") -> Totals:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise DemoError(f"{where}: unknown field {unknown[0]!r}; expected one of {', '.join(sorted(known))}")
        out = cls()
        for k, v in raw.items():
            if k in ("residents", "care_facilities", "care_beds"):
                if not isinstance(v, dict):
                    raise DemoError(f"{where}, field {k!r}: expected a table of code/type = number, got {v!r}")
                for kk, n in v.items():
                    if k != "residents" and kk not in CARE_TYPES:
                        raise DemoError(f"{where}, field '{k}.{kk}': expected one of {', '.join(CARE_TYPES)}")
                    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                        raise DemoError(f"{where}, field '{k}.{kk}': expected a whole number >= 0, got {n!r}")
                setattr(out, k, {str(kk): int(n) for kk, n in v.items()})
            elif k.endswith("_share"):
                if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1:
                    raise DemoError(f"{where}, field {k!r}: expected a share between 0 and 1, got {v!r}")
                setattr(out, k, float(v))
            elif k == "household_size":
                if not isinstance(v, int | float) or isinstance(v, bool) or not 1 <= v <= 10:
                    raise DemoError(f"{where}, field {k!r}: expected persons per household (1-10), got {v!r}")
                setattr(out, k, float(v))
            else:
                if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                    raise DemoError(f"{where}, field {k!r}: expected a whole number >= 0, got {v!r}")
                setattr(out, k, int(v))
        return out


def apportion(total: int, weights, minimum: int = 0) -> np.ndarray:
    """Split an integer total in proportion to weights (largest-remainder rounding), each >= minimum."""
    w = np.asarray(weights, dtype=float)
    rest = total - minimum * len(w)
    if rest < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"cannot apportion {total} over {len(w)} items with minimum {minimum}")
    quota = rest * w / w.sum()
    out = np.floor(quota).astype(int)
    left = rest - int(out.sum())
    order = np.argsort(-(quota - out), kind="stable")
    out[order[:left]] += 1
    return out + minimum


def committee_kind(name: str) -> str:
    """'community' for 社区/居委会 committees, 'village' for 村 and state-farm 生活区 units."""
    return "community" if ("社区" in name or "居委会" in name or "居民委员会" in name) else "village"


def _short(name: str) -> str:
    for suffix in ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "村民委员会", "委员会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name

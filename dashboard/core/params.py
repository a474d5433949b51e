"""Scenario parameters as reviewable data: `dashboard/params/<page>.toml`, loaded and validated at start.

One TOML table per parameter, in slider order (a policy officer can read and review it without Python):

    [pay_social_wage_yuan]
    kind = "int"                      # int | float | choice | bool | multi | text
    default = 50000
    min = 20000                       # bounds of the slider (numbers)
    max = 150000
    step = 1000
    unit = "yuan_per_year"
    label = { zh = "社平工资(改革首年参照)", en = "Social average wage (first reform year)" }
    help = { zh = "...", en = "..." }  # optional
    source_id = "report2020"          # where the default comes from (data/sources.csv)
    # plausible band of an assumption: the ranges and the tornado chart vary it over [low, high]
    low = 50000
    high = 65000
    band_source = "asm_pay_wage_base_band"
    band_reason = { zh = "...", en = "..." }

A choice parameter lists its plausible choices instead (`band_choices = ["need", "norm"]`). A parameter
without a band is a policy choice (what the city decides) or a view setting, and is never varied.

`load(page)` returns the page's `Param`s; anything wrong (an unknown field, a default or band outside the
bounds, a source id not in data/sources.csv) raises `ParamsError` naming the file and the parameter.
"""

from __future__ import annotations

import csv
import math
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from dashboard import PACKAGE_DIR, REPO_ROOT
from dashboard.core.scenario import Param

PARAMS_DIR = PACKAGE_DIR / "params"
SOURCES_CSV = REPO_ROOT / "data" / "sources.csv"  # the shipped sources: parameters ship with the package

KINDS = ("int", "float", "choice", "bool", "multi", "text")
_FIELDS = {"kind", "default", "min", "max", "step", "unit", "choices", "label", "help", "source_id", "selects",
           "low", "high", "band_choices", "band_source", "band_reason"}
_REQUIRED = ("kind", "default", "label", "source_id")
_LANGS = ("zh", "en")


class ParamsError(ValueError):
    """A parameter file is wrong; the message names the file, the parameter and what was expected."""


@cache
def shipped_source_ids() -> frozenset[str]:
    with open(SOURCES_CSV, encoding="utf-8", newline="") as fh:
        return frozenset(row["source_id"] for row in csv.DictReader(fh))


def _texts(where: str, field: str, value: Any, required: bool) -> tuple[str, str]:
    if value is None and not required:
        return "", ""
    if not isinstance(value, dict) or set(value) - set(_LANGS) or not all(isinstance(value.get(x), str) and value.get(x)
                                                                         for x in _LANGS):
        raise ParamsError(f"{where}: `{field}` must be a table with non-empty zh and en texts, "
                          f'e.g. {field} = {{ zh = "…", en = "…" }}')
    return value["zh"], value["en"]


def _number(where: str, field: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParamsError(f"{where}: `{field}` must be a number, got {value!r}")
    return value


def _param(path: Path, page: str, key: str, spec: Any, sources: frozenset[str]) -> Param:
    where = f"{path.name} [{key}]"
    if not isinstance(spec, dict):
        raise ParamsError(f"{where}: expected a table of fields, got {type(spec).__name__}")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise ParamsError(f"{where}: unknown field(s) {', '.join(unknown)}; known fields: {', '.join(sorted(_FIELDS))}")
    missing = [f for f in _REQUIRED if f not in spec]
    if missing:
        raise ParamsError(f"{where}: missing field(s) {', '.join(missing)}")
    kind = spec["kind"]
    if kind not in KINDS:
        raise ParamsError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    label_zh, label_en = _texts(where, "label", spec.get("label"), True)
    help_zh, help_en = _texts(where, "help", spec.get("help"), False)
    reason_zh, reason_en = _texts(where, "band_reason", spec.get("band_reason"), False)
    lo, hi = (_number(where, f, spec.get(f)) for f in ("min", "max"))
    low, high = (_number(where, f, spec.get(f)) for f in ("low", "high"))
    step = _number(where, "step", spec.get("step"))
    choices = spec.get("choices", [])
    band_choices = spec.get("band_choices", [])
    for field, items in (("choices", choices), ("band_choices", band_choices)):
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            raise ParamsError(f"{where}: `{field}` must be a list of texts")
    default = spec["default"]

    # the default fits the kind and the bounds
    if kind in ("int", "float"):
        _number(where, "default", default)
        if kind == "int" and not isinstance(default, int):
            raise ParamsError(f"{where}: an int parameter needs a whole-number default, got {default!r}")
        if (lo is not None and default < lo) or (hi is not None and default > hi):
            raise ParamsError(f"{where}: default {default!r} is outside the bounds {lo!r}–{hi!r}")
    elif kind == "choice" and default not in choices:
        raise ParamsError(f"{where}: default {default!r} is not one of the choices {choices}")
    elif kind == "multi":
        if not isinstance(default, list) or not set(default) <= set(choices):
            raise ParamsError(f"{where}: default {default!r} must be a list drawn from the choices {choices}")
        default = tuple(default)
    elif kind == "bool" and not isinstance(default, bool):
        raise ParamsError(f"{where}: a bool parameter needs true or false, got {default!r}")
    elif kind == "text" and not isinstance(default, str):
        raise ParamsError(f"{where}: a text parameter needs a text default, got {default!r}")

    # sources
    for field in ("source_id", "band_source"):
        sid = spec.get(field, "")
        if sid and sid not in sources:
            raise ParamsError(f"{where}: `{field}` {sid!r} is not a source_id in data/sources.csv")

    # the plausible band
    has_band = low is not None or high is not None or bool(band_choices)
    if has_band:
        if not spec.get("band_source") or not reason_zh:
            raise ParamsError(f"{where}: a band needs `band_source` (a source id) and `band_reason` (zh and en)")
        if kind in ("int", "float"):
            if low is None or high is None or band_choices:
                raise ParamsError(f"{where}: a number's band is `low` and `high` (both), not band_choices")
            if not low <= default <= high:
                raise ParamsError(f"{where}: the band {low!r}–{high!r} must contain the default {default!r}")
            if (lo is not None and low < lo) or (hi is not None and high > hi):
                raise ParamsError(f"{where}: the band {low!r}–{high!r} is outside the bounds {lo!r}–{hi!r}")
            if kind == "int" and not (isinstance(low, int) and isinstance(high, int)):
                raise ParamsError(f"{where}: an int parameter's band needs whole numbers, got {low!r}–{high!r}")
        elif kind == "choice":
            if low is not None or high is not None or len(band_choices) < 2:
                raise ParamsError(f"{where}: a choice's band is `band_choices` (two or more of the choices)")
            if not set(band_choices) <= set(choices) or default not in band_choices:
                raise ParamsError(f"{where}: band_choices {band_choices} must be choices {choices} "
                                  f"and include the default {default!r}")
        else:
            raise ParamsError(f"{where}: a {kind} parameter cannot have a plausible band")
    elif spec.get("band_source") or reason_zh:
        raise ParamsError(f"{where}: `band_source`/`band_reason` without a band (`low`/`high` or `band_choices`)")

    return Param(key, default, kind, label_zh, label_en, spec["source_id"], page, unit=spec.get("unit", ""),
                 min=lo, max=hi, step=step, choices=tuple(choices), help_zh=help_zh, help_en=help_en,
                 selects=bool(spec.get("selects", False)), low=low, high=high, band_choices=tuple(band_choices),
                 band_source=spec.get("band_source", ""), band_reason_zh=reason_zh, band_reason_en=reason_en)


def parse(path: Path, page: str, sources: frozenset[str] | None = None) -> list[Param]:
    """The parameters declared in one file (validated)."""
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ParamsError(f"{path.name}: no parameter file for page {page!r} at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParamsError(f"{path.name}: not valid TOML: {exc}") from None
    sources = shipped_source_ids() if sources is None else sources
    return [_param(path, page, key, spec, sources) for key, spec in doc.items()]


@cache
def _load(page: str) -> tuple[Param, ...]:
    return tuple(parse(PARAMS_DIR / f"{page}.toml", page))


def load(page: str) -> list[Param]:
    """The page's parameters from dashboard/params/<page>.toml (a fresh list; the Params are immutable)."""
    return list(_load(page))

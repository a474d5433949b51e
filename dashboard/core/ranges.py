"""How sure are we: the range of every headline figure and the assumptions it hangs on (docs/ranges.md).

Generic over an analysis: its model's `PARAMS` (the plausible bands of dashboard/params/<page>.toml),
its `headline()` and, where the page is costly to recompute, its `range_evaluator()`.

Method (the same for every page, stated in the output as `method` and `runs`):

- **Varied**: every parameter with a plausible band (`Param.has_band`), never a view setting. A number
  moves over its band, widened to include the scenario's own value when a slider was set outside it; a
  choice (e.g. the demand method) takes each of its plausible choices.
- **One at a time** (the tornado): each varied parameter is set to each end of its band, every other
  parameter held at the scenario's value; the headline figures are recomputed at each end.
- **Jointly** (the range): corner evaluation. For every combination of the plausible choices, the
  one-at-a-time runs give, per figure, the end of each number's band that lowers it and the end that
  raises it; the two corners with every number at its lowering (raising) end are then run. The range
  is the lowest and highest value seen over all runs, the scenario itself included, so
  low ≤ value ≤ high always holds. For a figure that moves in one direction with each assumption (most
  of them here) this gives the exact joint extremes; an effect that reverses inside a band or an
  interaction between numbers could be missed, which docs/ranges.md says in plain words.
- **Conclusions that flip**: a model may declare `RANGE_CONCLUSIONS = {metric key: function(value) ->
  category}` (gap vs surplus; closes by 2035 or not). Where a run inside the bands lands in another
  category than the scenario, the flip is reported with the assumption and the end that causes it.

Results are cached per analysis by the scenario's values of that analysis's PARAMS, the database and the
overlay (the same discipline as the models' own caches), so a rerun that changes nothing costs nothing.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dashboard import registry
from dashboard.core.metrics import Metric
from dashboard.core.scenario import Param, Scenario, param_values, scenario_of
from dashboard.core.text import by_lang, join_clauses, join_list, t
from dashboard.data import db

Values = dict[str, float | None]
Evaluator = Callable[[Scenario], Mapping[str, Any]]

METHOD = "one-at-a-time ends of each band, then corner evaluation (vertex method) per figure"
MAX_CHOICE_COMBINATIONS = 8


@dataclass(frozen=True)
class Driver:
    """One varied assumption's effect on a figure, one at a time (a tornado bar)."""

    key: str
    label_zh: str
    label_en: str
    band: str
    band_source: str
    band_reason_zh: str
    band_reason_en: str
    ends: tuple[Any, ...]  # the parameter values tried (a number's low and high end; or each choice)
    results: tuple[float | None, ...]  # the figure at each of `ends`
    value: float | None  # the figure at the scenario

    def label(self, lang: str) -> str:
        return by_lang(lang, self.label_zh, self.label_en)

    def band_reason(self, lang: str) -> str:
        return by_lang(lang, self.band_reason_zh, self.band_reason_en)

    @property
    def low(self) -> float | None:
        seen = [x for x in (*self.results, self.value) if x is not None]
        return min(seen) if seen else None

    @property
    def high(self) -> float | None:
        seen = [x for x in (*self.results, self.value) if x is not None]
        return max(seen) if seen else None

    @property
    def swing(self) -> float:
        return 0.0 if self.low is None else float(self.high - self.low)


@dataclass(frozen=True)
class Flip:
    """A conclusion that changes inside the bands: `metric` is `category` at the scenario, `other` when
    `key` (an assumption; "" for the joint corners only) is at `end`."""

    metric: str
    category: str
    other: str
    key: str
    end: Any


@dataclass(frozen=True)
class Ranges:
    """Ranges of one analysis's headline figures for one scenario."""

    page: str
    main: str  # the figure the tornado and the summary sentence talk about
    low: dict[str, Any]
    high: dict[str, Any]
    drivers: dict[str, tuple[Driver, ...]]  # figure -> drivers, largest swing first
    flips: tuple[Flip, ...]
    runs: int
    method: str = METHOD

    def main_drivers(self) -> tuple[Driver, ...]:
        return self.drivers.get(self.main, ())

    def top_drivers(self, n: int = 3, metric: str | None = None) -> list[Driver]:
        """The `n` assumptions moving the figure most (those that move it at all)."""
        return [d for d in self.drivers.get(metric or self.main, ()) if d.swing > 0][:n]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the CLI's `ranges`): method, runs, main figure, drivers with bands and sources, flips."""
        return {
            "method": self.method, "runs": self.runs, "main": self.main,
            "drivers": [{"key": d.key, "band": d.band, "band_source": d.band_source, "ends": list(d.ends),
                         "results": list(d.results), "low": d.low, "high": d.high, "swing": round(d.swing, 6)}
                        for d in self.main_drivers()],
            "flips": [dataclasses.asdict(f) for f in self.flips],
        }


# ---------------------------------------------------------------- the varied parameters


def varied(params: Sequence[Param]) -> list[Param]:
    """Parameters the ranges move: those with a plausible band (never a view setting)."""
    return [p for p in params if p.has_band and not p.selects]


def ends(param: Param, value: Any) -> tuple[Any, ...]:
    """The values tried for `param` when the scenario has `value`: the band's ends (widened to include
    the value), or every plausible choice (the value's own choice included)."""
    if param.band_choices:
        return tuple(dict.fromkeys((*param.band_choices, value)))
    low, high = min(param.low, value), max(param.high, value)
    cast = int if param.kind == "int" else float
    return cast(low), cast(high)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def headline_evaluator(model: Any, overlay: db.Overlay | None) -> Evaluator:
    """The default evaluator: the model's headline figures (numbers only) for a scenario."""
    def evaluate(scenario: Scenario) -> dict[str, Any]:
        return {m.key: m.value for m in model.headline(scenario, overlay)}
    return evaluate


def with_fallback(fast: Evaluator, model: Any, overlay: db.Overlay | None, keys: Sequence[str]) -> Evaluator:
    """A model's fast evaluator, completed by its full headline for any figure the fast one does not give
    (a figure added to the page later is still ranged right, only slower, until the evaluator learns it)."""
    full = headline_evaluator(model, overlay)

    def evaluate(scenario: Scenario) -> dict[str, Any]:
        values = dict(fast(scenario))
        if any(k not in values for k in keys):
            values = {**full(scenario), **values}
        return values
    return evaluate


def _round(values: Mapping[str, Any], decimals: Mapping[str, int]) -> Values:
    out: Values = {}
    for key, dec in decimals.items():
        v = values.get(key)
        out[key] = round(float(v), dec) if _numeric(v) else None
    return out


# ---------------------------------------------------------------- the engine (pure, given an evaluator)


def compute(page: str, params: Sequence[Param], scenario: Scenario, metrics: Sequence[Metric],
            evaluate: Evaluator, main: str | None = None,
            conclusions: Mapping[str, Callable[[float], str]] | None = None) -> Ranges:
    """Ranges of `metrics` (the scenario's headline figures) with `evaluate(scenario) -> {key: value}`.

    Every value is rounded to its metric's decimals, so the ranges and the tornado are in the numbers the
    page prints. Pure apart from calling `evaluate`.
    """
    decimals = {m.key: m.decimals for m in metrics}
    conclusions = conclusions or {}
    runs = 0
    memo: dict[tuple, Values] = {}

    def run(changes: Mapping[str, Any]) -> Values:
        nonlocal runs
        key = tuple(sorted((k, v) for k, v in changes.items() if v != scenario.get(k)))
        if key not in memo:
            runs += bool(key)
            # ends lie within each parameter's bounds by construction (core/params.py checks the bands), so
            # the variant is built directly rather than through Scenario.from_values' checks
            variant = Scenario(tuple(sorted({**scenario.changes(), **dict(key)}.items()))) if key else scenario
            memo[key] = _round(evaluate(variant), decimals)
        return memo[key]

    centre = run({})
    moved = varied(params)
    numbers = [p for p in moved if not p.band_choices]
    choices = [p for p in moved if p.band_choices]
    seen: dict[str, list[float]] = {k: ([v] if v is not None else []) for k, v in centre.items()}

    def note(values: Values) -> None:
        for k, v in values.items():
            if v is not None:
                seen[k].append(v)

    # one at a time, at the scenario's own choices: the tornado
    drivers: dict[str, list[Driver]] = {k: [] for k in decimals}
    oat: dict[str, dict[Any, Values]] = {}
    for p in moved:
        current = scenario.get(p.key)
        oat[p.key] = {end: run({p.key: end}) for end in ends(p, current)}
        for values in oat[p.key].values():
            note(values)
        for k in decimals:
            drivers[k].append(Driver(p.key, p.label_zh, p.label_en, p.band_text(), p.band_source, p.band_reason_zh,
                                     p.band_reason_en, tuple(oat[p.key]), tuple(v[k] for v in oat[p.key].values()),
                                     centre[k]))

    # jointly: corners per figure, under every combination of the plausible choices
    combos = list(itertools.product(*(ends(p, scenario.get(p.key)) for p in choices)))[:MAX_CHOICE_COMBINATIONS]
    for combo in combos:
        fixed = dict(zip((p.key for p in choices), combo, strict=True))
        base = run(fixed)
        note(base)
        local = {p.key: {end: run({**fixed, p.key: end}) for end in ends(p, scenario.get(p.key))} for p in numbers}
        for values in (v for d in local.values() for v in d.values()):
            note(values)
        for k in decimals:
            if base[k] is None:
                continue
            for pick in (min, max):
                corner = dict(fixed)
                for p in numbers:
                    tried = [(v[k], end) for end, v in local[p.key].items() if v[k] is not None and v[k] != base[k]]
                    if tried:
                        corner[p.key] = pick(tried, key=lambda x: x[0])[1]
                note(run(corner))

    low = {k: (min(v) if v else None) for k, v in seen.items()}
    high = {k: (max(v) if v else None) for k, v in seen.items()}

    # conclusions that change inside the bands
    flips: list[Flip] = []
    for k, classify in conclusions.items():
        if centre.get(k) is None:
            continue
        here = classify(centre[k])
        found = set()
        for p in moved:
            for end, values in oat[p.key].items():
                if values.get(k) is not None and classify(values[k]) != here:
                    flips.append(Flip(k, here, classify(values[k]), p.key, end))
                    found.add(classify(values[k]))
        for extreme in (low[k], high[k]):
            if extreme is not None and classify(extreme) != here and classify(extreme) not in found:
                flips.append(Flip(k, here, classify(extreme), "", extreme))
                found.add(classify(extreme))

    ordered = {k: tuple(sorted(ds, key=lambda d: -d.swing)) for k, ds in drivers.items()}
    return Ranges(page, main or metrics[0].key, low, high, ordered, tuple(flips), runs)


# ---------------------------------------------------------------- per analysis, cached by scenario


def for_scenario(page: str, scenario: Scenario, overlay: db.Overlay | None = None) -> Ranges:
    """The ranges of an analysis's headline figures (cached by its PARAMS' values, data and overlay)."""
    model = registry.model(page)
    overlay = overlay if overlay else None
    return _cached(page, param_values(scenario, model.PARAMS), db.database_token(), overlay)


@lru_cache(maxsize=64)
def _cached(page: str, values: tuple[tuple[str, Any], ...], _token: str, overlay: db.Overlay | None) -> Ranges:
    model = registry.model(page)
    scenario = scenario_of(values)
    metrics = model.headline(scenario, overlay)
    maker = getattr(model, "range_evaluator", None)
    evaluate = with_fallback(maker(scenario, overlay), model, overlay, [m.key for m in metrics]) if maker \
        else headline_evaluator(model, overlay)
    return compute(page, model.PARAMS, scenario, metrics, evaluate, getattr(model, "RANGE_MAIN", None),
                   getattr(model, "RANGE_CONCLUSIONS", None))


def attach(metrics: Sequence[Metric], ranges: Ranges, display: Mapping[str, Callable[[float], Any]] | None = None
           ) -> list[Metric]:
    """The metrics with `low`/`high` filled in (a figure with no number, e.g. '—', keeps None)."""
    display = display or {}
    out = []
    for m in metrics:
        lo, hi = ranges.low.get(m.key), ranges.high.get(m.key)
        if m.value is None or lo is None or hi is None:
            out.append(m)
            continue
        if _numeric(m.value):  # the range is in the printed decimals; the value may carry more
            lo, hi = min(lo, m.value), max(hi, m.value)
        show = display.get(m.key, lambda x: x)
        out.append(dataclasses.replace(m, low=show(lo), high=show(hi)))
    return out


def headline(page: str, scenario: Scenario, overlay: db.Overlay | None = None) -> list[Metric]:
    """The analysis's headline figures with their ranges: what the page, the brief and the CLI print."""
    model = registry.model(page)
    if not varied(model.PARAMS):
        return model.headline(scenario, overlay)
    overlay = overlay if overlay else None
    return list(_headline(page, param_values(scenario, model.PARAMS), db.database_token(), overlay))


@lru_cache(maxsize=64)
def _headline(page: str, values: tuple[tuple[str, Any], ...], token: str, overlay: db.Overlay | None
              ) -> tuple[Metric, ...]:
    # a page asks for its figures several times a rerun (tiles, baseline, summary, drivers): built once
    model = registry.model(page)
    scenario = scenario_of(values)
    ranges = _cached(page, values, token, overlay)
    return tuple(attach(model.headline(scenario, overlay), ranges, getattr(model, "RANGE_DISPLAY", None)))


# ---------------------------------------------------------------- words


def _end_text(param: Param | None, end: Any, lang: str) -> str:
    if param is None:
        return str(end)
    if param.kind == "choice":
        try:
            return t(f"choices.{param.key}.{end}", lang)
        except KeyError:
            return str(end)
    return param.to_text(end)


def driver_sentence(page: str, scenario: Scenario, lang: str = "zh", overlay: db.Overlay | None = None) -> str:
    """'主要取决于：A、B。' plus a sentence for each conclusion that flips inside the bands ('' if none)."""
    model = registry.model(page)
    if not varied(model.PARAMS):
        return ""
    r = for_scenario(page, scenario, overlay)
    metrics = {m.key: m for m in headline(page, scenario, overlay)}
    main = metrics.get(r.main)
    top = r.top_drivers(3)
    parts = []
    if main is not None and top:
        parts.append(t("ranges.depends_on", lang, figure=main.label(lang), range=main.range_text(lang) or main.formatted(lang),
                       drivers=join_list((d.label(lang) for d in top), lang)))
    by_key = {p.key: p for p in model.PARAMS}
    for f in flip_texts(page, r, metrics, by_key, lang):
        parts.append(f)
    if not parts:
        return ""
    return by_lang(lang, "".join(parts), " " + " ".join(parts))  # grammar: no space between Chinese sentences


def flip_texts(page: str, r: Ranges, metrics: Mapping[str, Metric], params: Mapping[str, Param], lang: str) -> list[str]:
    """One sentence naming every figure whose conclusion changes inside the bands, and what changes it."""
    items = []
    for metric in dict.fromkeys(f.metric for f in r.flips):
        flips = [f for f in r.flips if f.metric == metric]
        m = metrics.get(metric)
        causes = [t("ranges.flip_cause", lang, param=params[f.key].label(lang), end=_end_text(params[f.key], f.end, lang))
                  for f in flips if f.key]
        fmt = {"figure": m.label(lang) if m else metric, "here": t(f"ranges.category_{flips[0].category}", lang),
               "other": t(f"ranges.category_{flips[0].other}", lang), "causes": t("ranges.causes_sep", lang).join(causes)}
        items.append(t("ranges.flip_item" if causes else "ranges.flip_item_joint", lang, **fmt))
    if not items:
        return []
    return [t("ranges.flip", lang, items=join_clauses(items, lang))]

"""One Scenario: every slider's value, default, bounds, unit, label (zh/en) and source; URL round-trip.

Each model module declares its parameters as `PARAMS: list[Param]`; this module collects them
(`all_params()`), so a page, the command line and the exported brief read the same values. Only
values that differ from the default go into the URL, under readable keys (the parameter keys).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from dashboard.core.text import by_lang


@dataclass(frozen=True)
class Param:
    """A scenario parameter: what it is, its default and bounds, and where the default comes from."""

    key: str
    default: Any
    kind: str  # "int" | "float" | "choice" | "bool" | "multi" | "text" (max = length limit)
    label_zh: str
    label_en: str
    source_id: str
    page: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help_zh: str = ""
    help_en: str = ""
    selects: bool = False  # only chooses what to look at (e.g. which district): the baseline keeps it
    # Plausible band of an assumption (dashboard/params/<page>.toml): the ranges vary it over [low, high]
    # (a choice parameter over band_choices). None/empty: a policy choice or a view setting, never varied.
    low: float | None = None
    high: float | None = None
    band_choices: tuple[str, ...] = ()
    band_source: str = ""
    band_reason_zh: str = ""
    band_reason_en: str = ""

    def label(self, lang: str) -> str:
        return by_lang(lang, self.label_zh, self.label_en)

    @property
    def has_band(self) -> bool:
        return self.low is not None or bool(self.band_choices)

    def band_reason(self, lang: str) -> str:
        return by_lang(lang, self.band_reason_zh, self.band_reason_en)

    def band_text(self) -> str:
        """The band as text: '800–1000' or 'need / norm'."""
        if self.band_choices:
            return " / ".join(self.band_choices)
        if self.low is None:
            return ""
        return f"{self.to_text(self.low)}–{self.to_text(self.high)}"

    def help(self, lang: str) -> str:
        return by_lang(lang, self.help_zh, self.help_en)

    def coerce(self, raw: Any) -> tuple[Any, str | None]:
        """Turn a raw (URL or JSON) value into a valid value; returns (value, notice or None).

        Out-of-range numbers are clamped; values that cannot be read fall back to the default.
        """
        try:
            if self.kind == "bool":
                text = str(raw).strip().lower()
                if text in ("1", "true", "yes", "on"):
                    return True, None
                if text in ("0", "false", "no", "off"):
                    return False, None
                raise ValueError
            if self.kind == "text":
                text = "".join(ch for ch in str(raw) if ch.isprintable()).strip()
                limit = int(self.max or 60)
                if len(text) > limit:
                    return text[:limit], f"{self.key}: text cut to {limit} characters"
                return text, None
            if self.kind == "choice":
                text = str(raw)
                if text in self.choices:
                    return text, None
                raise ValueError
            if self.kind == "multi":
                # JSON gives a list, a URL "a,b" (or repeated keys: ["a,b", "c"]).
                parts = raw if isinstance(raw, list | tuple) else [raw]
                items = [p.strip() for x in parts for p in str(x).split(",") if p.strip()]
                bad = [x for x in items if x not in self.choices]
                kept = tuple(x for x in self.choices if x in items)
                if bad:
                    return kept or self.default, f"{self.key}: dropped unknown value(s) {', '.join(bad)[:60]}"
                return kept, None
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            if self.kind == "int":
                value = int(round(value))
            notice = None
            if self.min is not None and value < self.min:
                value, notice = type(value)(self.min), f"{self.key}: {raw!s:.30} is below {self.min:g}; using {self.min:g}"
            if self.max is not None and value > self.max:
                value, notice = type(value)(self.max), f"{self.key}: {raw!s:.30} is above {self.max:g}; using {self.max:g}"
            return value, notice
        except (TypeError, ValueError, OverflowError):
            return self.default, f"{self.key}: could not read {str(raw)[:30]!r}; using the default {self.to_text(self.default)}"

    def to_text(self, value: Any) -> str:
        """The URL form of a value."""
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "multi":
            return ",".join(value)
        if self.kind == "float":
            short = f"{value:g}"  # readable; repr only where %g would lose digits (exact round-trip)
            return short if float(short) == value else repr(float(value))
        return str(value)


# View settings that are not model inputs but belong in a shared link.
VIEW_PARAMS: tuple[Param, ...] = (
    Param("lang", "zh", "choice", "语言", "Language", "", "app", choices=("zh", "en"), selects=True),
    Param("present", False, "bool", "演示模式", "Presentation mode", "", "app", selects=True),
    Param("sources_topic", "all", "choice", "指标主题", "Indicator topic", "", "sources", selects=True,
          choices=("all", "overview", "survey_method", "cadres", "party_volunteers", "services", "clinics",
                   "care_beds", "property", "workload", "worker_pay", "grids", "recommendations", "census")),
    Param("sources_search", "", "text", "搜索(编号、原文、区域)", "Search (id, quote, area)", "", "sources",
          selects=True, max=60),
)

@cache
def all_params() -> tuple[Param, ...]:
    """Every parameter: view settings first, then each analysis model's PARAMS in page order."""
    from dashboard import registry

    params: list[Param] = list(VIEW_PARAMS)
    for key in registry.keys(analysis=True):
        params.extend(registry.model(key).PARAMS)
    keys = [p.key for p in params]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise ValueError(f"duplicate scenario parameter keys: {sorted(dupes)}")
    return tuple(params)


_INDEX: tuple[tuple[Param, ...], dict[str, Param]] | None = None


def params_by_key() -> dict[str, Param]:
    """key -> Param (shared: read only). Rebuilt only when `all_params()` is (Scenario.get calls this for
    every default it returns, and the ranges evaluate dozens of scenarios a rerun)."""
    global _INDEX
    params = all_params()
    if _INDEX is None or _INDEX[0] is not params:
        _INDEX = (params, {p.key: p for p in params})
    return _INDEX[1]


def param_values(scenario: Scenario, params: Iterable[Param]) -> tuple[tuple[str, Any], ...]:
    """The scenario's value of each of `params` (defaults included), as a hashable cache key.

    Every analysis model caches its computation on this, taken over its whole `PARAMS`, so a new
    parameter is part of the key the moment it is declared (no hand-made key object to forget it in).
    """
    return tuple((p.key, scenario.get(p.key)) for p in params)


def scenario_of(values: Iterable[tuple[str, Any]]) -> Scenario:
    """A Scenario from (key, value) pairs already validated (the inverse of `param_values`)."""
    known = params_by_key()
    return Scenario(tuple(sorted((k, v) for k, v in values if k not in known or v != known[k].default)))


@dataclass(frozen=True)
class Scenario:
    """Immutable set of parameter values; missing keys take their defaults."""

    values: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    @classmethod
    def default(cls) -> Scenario:
        return cls()

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> tuple[Scenario, list[str]]:
        """Build from raw values (URL, JSON, CLI): unknown keys dropped, bad values clamped or defaulted."""
        known = params_by_key()
        clean: dict[str, Any] = {}
        notices: list[str] = []
        for key, raw in values.items():
            param = known.get(str(key))
            if param is None:
                notices.append(f"{str(key)[:40]}: unknown setting, ignored")
                continue
            if isinstance(raw, list | tuple) and param.kind != "multi":
                raw = raw[-1] if raw else param.default
            value, notice = param.coerce(raw)
            if notice:
                notices.append(notice)
            if value != param.default:
                clean[param.key] = value
        return cls(tuple(sorted(clean.items()))), notices

    def get(self, key: str) -> Any:
        for k, v in self.values:
            if k == key:
                return v
        try:
            return params_by_key()[key].default
        except KeyError:
            raise KeyError(f"unknown scenario parameter {key!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def as_dict(self) -> dict[str, Any]:
        """Every parameter's value (defaults included)."""
        return {p.key: self.get(p.key) for p in all_params()}

    def changes(self) -> dict[str, Any]:
        """Only the values that differ from the defaults."""
        return dict(self.values)

    def baseline(self) -> Scenario:
        """The report defaults, keeping what this scenario looks at (language, the district shown, ...).

        "Baseline vs scenario" compares like with like: changing the district shown is not a change
        of assumptions, so the baseline follows it.
        """
        known = params_by_key()
        kept = {k: v for k, v in self.values if k in known and known[k].selects}
        return Scenario(tuple(sorted(kept.items())))

    def is_baseline(self) -> bool:
        """True when no assumption differs from the report defaults (view selections aside)."""
        return self.baseline() == self

    def with_values(self, **changes: Any) -> Scenario:
        merged = {**self.changes(), **changes}
        scenario, notices = Scenario.from_values(merged)
        if notices:
            raise ValueError("; ".join(notices))
        return scenario

    def model_values(self) -> dict[str, Any]:
        """Changes that affect the numbers (view settings such as language left out)."""
        view = {p.key for p in VIEW_PARAMS}
        return {k: v for k, v in self.values if k not in view}

    # ---- URL and JSON
    def to_query_params(self) -> dict[str, str]:
        known = params_by_key()
        return {k: known[k].to_text(v) for k, v in self.values}

    @classmethod
    def from_query_params(cls, query: Mapping[str, Any]) -> tuple[Scenario, list[str]]:
        return cls.from_values(dict(query))

    def to_json(self, name: str = "") -> str:
        return json.dumps({"name": name, "values": self.changes()}, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> tuple[Scenario, str, list[str]]:
        """Parse a saved scenario file; returns (scenario, name, notices)."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a scenario file: invalid JSON at line {exc.lineno} column {exc.colno}") from None
        except RecursionError:  # [[[[... nested thousands deep
            raise ValueError("not a scenario file: nested too deeply") from None
        _check_depth(doc)
        if not isinstance(doc, dict) or not isinstance(doc.get("values", {}), dict):
            raise ValueError('not a scenario file: expected {"name": ..., "values": {...}}')
        scenario, notices = cls.from_values(doc.get("values", {}))
        return scenario, str(doc.get("name", ""))[:80], notices


def _check_depth(doc: object, limit: int = 10) -> None:
    """A scenario file is flat ({"scenarios": [{"values": {key: value}}]}): refuse deeper nesting
    (checked without recursion, before any value is turned into text)."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise ValueError(f"not a scenario file: nested deeper than {limit} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def scenarios_to_json(named: Iterable[tuple[str, Scenario]]) -> str:
    """Several named scenarios in one small file: {"scenarios": [{"name": ..., "values": {...}}, ...]}."""
    doc = {"scenarios": [{"name": name, "values": sc.changes()} for name, sc in named]}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def scenarios_from_json(text: str | bytes, max_scenarios: int = 50) -> tuple[list[tuple[str, Scenario]], list[str]]:
    """Read a scenario file: one scenario ({"name", "values"}) or several ({"scenarios": [...]}).

    Returns ([(name, scenario), ...], notices); raises ValueError naming what is wrong with the file.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("not a scenario file: not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a scenario file: invalid JSON at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # [[[[... nested thousands deep
        raise ValueError("not a scenario file: nested too deeply") from None
    _check_depth(doc)
    items = doc.get("scenarios") if isinstance(doc, dict) and "scenarios" in doc else [doc]
    if not isinstance(items, list):
        raise ValueError('not a scenario file: "scenarios" must be a list')
    out: list[tuple[str, Scenario]] = []
    notices: list[str] = []
    for i, item in enumerate(items[:max_scenarios]):
        if not isinstance(item, dict) or not isinstance(item.get("values", {}), dict):
            raise ValueError(f'not a scenario file: item {i + 1} should be {{"name": ..., "values": {{...}}}}')
        scenario, more = Scenario.from_values(item.get("values", {}))
        out.append((str(item.get("name") or "")[:80], scenario))
        notices += more
    if len(items) > max_scenarios:
        notices.append(f"only the first {max_scenarios} of {len(items)} scenarios were read")
    return out, notices


def page_params(page: str) -> list[Param]:
    """Parameters shown on one page, in declaration order."""
    return [p for p in all_params() if p.page == page]


def input_params(page: str) -> list[Param]:
    """Every parameter the page's results depend on: its own, then those of the analyses it reads
    (`registry.Page.reads`, e.g. grids reads pay's wage parameters)."""
    from dashboard import registry

    own = page_params(page)
    return own + [p for other in registry.page(page).reads for p in page_params(other)]


def parse_set_args(items: Iterable[str]) -> tuple[Scenario, list[str]]:
    """Parse CLI `--set key=value` items into a Scenario (same rules as a URL)."""
    values: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected key=value")
        key, value = item.split("=", 1)
        values[key.strip()] = value.strip()
    return Scenario.from_values(values)

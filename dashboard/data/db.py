"""DuckDB data layer: load and check the CSV/GeoJSON sources, build typed tables, run named queries.

The database is built in memory from the files listed in `dashboard.data.schemas.DATASETS`, each parsed
and checked first so that a bad cell is reported as file, row, column, value and expectation (never
a traceback). It is rebuilt when any source file changes (size or mtime), and shared across
Streamlit sessions; each query runs on its own cursor, which may carry a session overlay of
user-supplied tables registered under the shipped tables' names (so one session's upload never
reaches another, and nothing is written to the shipped files).

Validated frames are cached on disk (`load_all_cached`), keyed by a SHA-256 of every source file's
bytes, this module's and `schemas.py`'s source and the library versions, so a server start on
unchanged files skips parsing and validation; `python -m dashboard check` always validates in full
and then writes that cache.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import pickle
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pandera
import pyarrow

from dashboard import QUERIES_DIR, REPO_ROOT, data_root
from dashboard.data import schemas
from dashboard.data.schemas import DATASETS, PANDAS_TYPES, Dataset, Field, pandera_schema

# ---------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One problem in one cell (or row, or file) of a source file."""

    file: str
    row: int | None  # 1-based line number in a CSV (header is line 1); feature number in GeoJSON
    column: str | None
    value: str | None
    expected: str
    # Message key and arguments, so the same problem can be shown in either language
    # (dashboard/catalog/data.json "problem_<key>"); empty for problems without a translation.
    key: str = ""
    args: tuple[tuple[str, object], ...] = ()

    @property
    def params(self) -> dict[str, object]:
        return dict(self.args)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        got = f": got {self.value!r}" if self.value is not None else ""
        return f"{where}{got}; expected {self.expected}"


class DataError(Exception):
    """Raised when source data fails its checks; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the source data:\n{shown}{more}")


# ---------------------------------------------------------------- parsing

_TRUE = {"true", "1", "yes", "y", "t", "是", "有"}
_FALSE = {"false", "0", "no", "n", "f", "否", "无"}
# ASCII digits only (`\d` alone also matches Arabic-Indic and other digits, which float() accepts,
# as it accepts "1_000"): a number is written with 0-9, an optional sign, point and exponent.
_INT_RE = re.compile(r"^[+-]?\d+(\.0+)?$", re.ASCII)
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
# Whole numbers are stored as int64 and shown in browsers, whose numbers are doubles: beyond 2^53 - 1
# they would be silently rounded, so they are refused.
MAX_SAFE_INT = 2**53 - 1
_INT_RANGE = f"a whole number no larger than {MAX_SAFE_INT:,} in size"


_CELL_KEYS = {"true or false": "bool", "a whole number": "int", "a number": "number", "a finite number": "finite",
              _INT_RANGE: "int_range"}


def _parse_cell(f: Field, text: str) -> tuple[object, str | None]:
    """Parse one cell to the field's type; returns (value, error-expectation or None)."""
    if f.type == "str":
        return text, None
    if f.type == "bool":
        low = text.lower()
        if low in _TRUE:
            return True, None
        if low in _FALSE:
            return False, None
        return None, "true or false"
    if f.type == "int":
        if _INT_RE.match(text):
            digits = text.split(".")[0].lstrip("+-").lstrip("0")
            if len(digits) > 16 or int(digits or "0") > MAX_SAFE_INT:  # never int() of 5,000 digits
                return None, _INT_RANGE
            return int(text.split(".")[0]), None
        return None, "a whole number"
    scale = 1.0
    if f.share and text.endswith("%"):  # "45%" is 45 on a 0-100 column, 0.45 on a 0-1 column
        text = text[:-1].strip()
        scale = 0.01 if f.share == "fraction" else 1.0
    if text.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return None, "a finite number"
    if not _FLOAT_RE.match(text):
        return None, "a number"
    value = float(text) * scale
    if not math.isfinite(value):
        return None, "a finite number"
    return value, None


class _Problems(list):
    """A list of problems that stops growing at `limit` (bounded memory on hostile files)."""

    def __init__(self, limit: int | None):
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def append(self, problem: Problem) -> None:
        if self.limit is not None and len(self) >= self.limit:
            self.dropped += 1
        else:
            super().append(problem)

    def finish(self, file_label: str) -> list[Problem]:
        out = list(self)
        if self.dropped:
            out.append(Problem(file_label, None, None, None, f"fewer problems ({self.dropped} more not listed)",
                               "more", (("count", self.dropped),)))
        return out


def parse_frame(ds: Dataset, raw: pd.DataFrame, file_label: str, row_offset: int = 2,
                max_problems: int | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Turn a frame of text cells into typed columns and check them against the dataset's schema.

    `row_offset` maps the frame's positional index to the row number a user sees (2 for a CSV with
    a header line, 1 for GeoJSON feature numbers). `max_problems` caps the problems kept (the rest
    are counted in one closing problem), so a file of bad cells cannot exhaust memory.
    """
    problems = _Problems(max_problems)
    frame, _ = _parse_frame(ds, raw, file_label, row_offset, problems)
    return frame, problems.finish(file_label)


def _parse_frame(ds: Dataset, raw: pd.DataFrame, file_label: str, row_offset: int,
                 problems: _Problems) -> tuple[pd.DataFrame, _Problems]:
    missing = [f.name for f in ds.fields if f.required and f.name not in raw.columns]
    for name in missing:
        problems.append(Problem(file_label, None, name, None, f"a column named {name!r} ({ds.field(name).zh})",
                                "missing_column", (("name", name), ("zh", ds.field(name).zh))))
    if missing:
        return pd.DataFrame(columns=ds.columns), problems

    raw = raw.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for f in ds.fields:
        if f.name not in raw.columns:
            continue
        values: list[object] = []
        parsed: dict[str, tuple[object, str | None]] = {}  # columns repeat values: parse each text once
        for i, cell in enumerate(raw[f.name].tolist()):
            text = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell).strip()
            if text == "":
                if not f.nullable:
                    problems.append(Problem(file_label, i + row_offset, f.name, "", "a value (the column is required)",
                                            "required_value"))
                values.append(None)
                continue
            if text not in parsed:
                parsed[text] = _parse_cell(f, text)
            value, expected = parsed[text]
            if expected:
                problems.append(Problem(file_label, i + row_offset, f.name, text, expected, _CELL_KEYS[expected]))
            values.append(value)
        out[f.name] = pd.Series(values, dtype=PANDAS_TYPES[f.type])
    frame = pd.DataFrame(out)
    # Value checks run even when some cells failed to parse, so every problem is reported at once;
    # a cell already reported (e.g. unreadable, hence empty now) is not reported twice.
    seen = {(p.row, p.column) for p in problems}
    try:
        pandera_schema(ds.name).validate(frame, lazy=True)
    except Exception as exc:  # pandera.errors.SchemaErrors
        cases = getattr(exc, "failure_cases", None)
        if cases is None:
            raise
        for case in cases.itertuples(index=False):
            column = getattr(case, "column", None)
            index = getattr(case, "index", None)
            row = int(index) + row_offset if index is not None and not pd.isna(index) else None
            check = str(getattr(case, "check", ""))
            # an empty cell in a required column is always one already reported (empty or unreadable)
            if (row, column) in seen or "not_nullable" in check:
                continue
            value = getattr(case, "failure_case", None)
            f = ds.field(column) if column in ds.columns else None
            expected, key, args = _explain_keyed(check, f)
            problems.append(Problem(file_label, row, column, None if value is None else str(value), expected, key, args))
    return frame, problems


def _num(x: float) -> str:
    """A bound as people write it: 0, 60, 10,000,000, 0.5."""
    if float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    return f"{x:g}"


def _explain(check: str, f: Field | None) -> str:
    """Plain words for a pandera check name."""
    return _explain_keyed(check, f)[0]


def _explain_keyed(check: str, f: Field | None) -> tuple[str, str, tuple[tuple[str, object], ...]]:
    """(plain words, message key, message arguments) for a pandera check name."""
    if f is None:
        return check, "", ()
    lo, hi = f.bounds
    unit = f" {f.unit}" if f.unit else ""
    if check.startswith("isin"):
        return "one of " + ", ".join(f.allowed), "allowed", (("allowed", ", ".join(f.allowed)),
                                                             ("allowed_zh", ", ".join(f.allowed_zh or f.allowed)))
    if check.startswith("greater_than_or_equal_to") and lo is not None:
        return f"a value ≥ {_num(lo)}{unit}", "min", (("min", _num(lo)), ("unit", f.unit))
    if check.startswith("less_than_or_equal_to") and hi is not None:
        return f"a value ≤ {_num(hi)}{unit}", "max", (("max", _num(hi)), ("unit", f.unit))
    if check.startswith("str_matches"):
        return (f"text matching {f.pattern} (e.g. {f.example or 'see template'})", "pattern",
                (("pattern", f.pattern), ("example", f.example or "")))
    if "unique" in check or "duplicate" in check:
        return "a unique value (this one is repeated)", "unique", ()
    if "not_nullable" in check:
        return "a value (the column is required)", "required_value", ()
    return check, "", ()


def read_csv_text(ds: Dataset, path: Path) -> pd.DataFrame:
    """Read a CSV as text cells (no type guessing), so parsing errors can name the cell."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def read_geojson_properties(path: Path) -> pd.DataFrame:
    """The properties of every feature of a GeoJSON file, as text cells."""
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    rows = [feat.get("properties") or {} for feat in doc.get("features", [])]
    return pd.DataFrame(rows).astype("string") if rows else pd.DataFrame()


def load_dataset(name: str, root: Path | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and type-check one shipped dataset; returns the typed frame and its problems."""
    ds = DATASETS[name]
    root = root or data_root()
    path = root / ds.file
    if not path.exists():
        return pd.DataFrame(columns=ds.columns), [Problem(ds.file, None, None, None, "the file to exist")]
    try:
        raw = read_geojson_properties(path) if ds.geo else read_csv_text(ds, path)
    except (UnicodeDecodeError, json.JSONDecodeError, pd.errors.ParserError) as exc:
        return pd.DataFrame(columns=ds.columns), [Problem(ds.file, None, None, None, f"a readable UTF-8 file ({exc})")]
    return parse_frame(ds, raw, ds.file, row_offset=1 if ds.geo else 2)


def cross_check(frames: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Checks across tables: every source id resolves, every division code exists at its level."""
    problems: list[Problem] = []
    sources = set(frames["sources"]["source_id"].dropna()) if "sources" in frames else set()
    divisions = frames.get("divisions")
    levels: dict[str, set[str]] = {}
    if divisions is not None:
        for level, grp in divisions.groupby("level"):
            levels[str(level)] = set(grp["code"].dropna())
    for name, frame in frames.items():
        ds = DATASETS[name]
        offset = 1 if ds.geo else 2
        if "source_id" in frame.columns and sources and name != "sources":
            for i, sid in enumerate(frame["source_id"].tolist()):
                if sid is not None and not pd.isna(sid) and sid not in sources:
                    problems.append(Problem(ds.file, i + offset, "source_id", sid, "a source_id listed in data/sources.csv"))
        for column, level in ds.references.items():
            known = levels.get(level)
            if not known or column not in frame.columns or name == "divisions":
                continue
            for i, code in enumerate(frame[column].tolist()):
                if code is not None and not pd.isna(code) and code not in known:
                    problems.append(Problem(ds.file, i + offset, column, code, f"a {level} code listed in data/divisions.csv"))
    return problems


def load_all(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Load and check every shipped dataset; raise DataError listing every problem."""
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name in DATASETS:
        frame, found = load_dataset(name, root)
        frames[name] = frame
        problems.extend(found)
    if not problems:
        problems.extend(cross_check(frames))
    if problems:
        raise DataError(problems)
    return frames


# ---------------------------------------------------------------- validated-data cache
#
# Parsing every cell and validating with pandera is most of a cold start's data work (~0.45 s, a
# third of it pandera importing its backends on first use), and the shipped files rarely change.
# So frames that passed `load_all` are stored on disk under a key that covers everything they
# depend on; a later process whose key matches loads them instead of validating again. Only a
# successful validation is ever stored, and any different byte in a source file gives a different
# key, so a bad file is always validated and reported exactly as before.
#
# Format: pickle, signed with an HMAC-SHA256 under a per-install secret key (`secret.key` in the
# cache directory, 0600): only bytes this install wrote are unpickled. The directory is also checked
# (owner, not writable by others). Parquet/Arrow IPC were measured and rejected: the nullable dtypes
# (string, Int64, Float64, boolean) do round-trip through parquet, but reading the 12 frames back
# took ~0.1 s against ~3 ms for pickle, which also keeps every dtype exactly as validated.

CACHE_KEEP = 4  # cache entries kept (newest first): shipped data plus a few edits or test copies
_CACHE_FORMAT = 2  # 2: signed with an HMAC (secret.key)


def cache_dir() -> Path:
    """Where validated frames are cached: `DASHBOARD_CACHE_DIR`, default `<repo>/.cache/dashboard`."""
    if os.environ.get("DASHBOARD_CACHE_DIR"):
        return Path(os.environ["DASHBOARD_CACHE_DIR"])
    if REPO_ROOT.name == "_shipped":  # an installed wheel: site-packages is no place for a cache
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "governance-dashboard"
    return REPO_ROOT / ".cache" / "dashboard"


def cache_key(root: Path | None = None) -> str:
    """SHA-256 over every source file's bytes, the code that parses and checks them, and versions.

    Covers each DATASETS file and `queries/_schema.sql`, the source of `schemas.py` and this module
    (a change to a check or a parser invalidates), and the Python, pandas, numpy, pyarrow, pandera
    and duckdb versions (validation and the pickled frames depend on them).
    """
    root = root or data_root()
    digest = hashlib.sha256(f"dashboard-frames {_CACHE_FORMAT}\n".encode())

    def add(label: str, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError:  # missing or unreadable: load_all reports it, and it is never cached
            data = None
        digest.update(f"{label}\0{-1 if data is None else len(data)}\0".encode())
        digest.update(data or b"")

    for name, ds in DATASETS.items():
        add(f"{name}:{ds.file}", root / ds.file)
    add("_schema.sql", QUERIES_DIR / "_schema.sql")
    add("schemas.py", Path(schemas.__file__))
    add("db.py", Path(__file__))
    versions = (sys.version, pd.__version__, np.__version__, pyarrow.__version__, pandera.__version__,
                duckdb.__version__)
    digest.update(repr(versions).encode())
    return digest.hexdigest()


def _cache_file(key: str) -> Path:
    return cache_dir() / f"frames-{key}.pickle"


def _frames_match_schemas(frames: object) -> bool:
    """The cached object is a frame per dataset, in order, with the declared columns and dtypes."""
    if not isinstance(frames, dict) or list(frames) != list(DATASETS):
        return False
    for name, frame in frames.items():
        ds = DATASETS[name]
        if not isinstance(frame, pd.DataFrame) or list(frame.columns) != ds.columns:
            return False
        if [str(t) for t in frame.dtypes] != [PANDAS_TYPES[f.type] for f in ds.fields]:
            return False
    return True


_MAC_MAGIC = b"DASHBOARD-FRAMES-HMAC1\n"


def _secret_key(create: bool) -> bytes | None:
    """This install's secret for the cache's HMAC (`<cache dir>/secret.key`, 32 random bytes, mode
    0600, owned by this user); created on the first write. A cache file copied from elsewhere, or
    written by anyone without this key, fails the HMAC and is never unpickled."""
    path = cache_dir() / "secret.key"
    with suppress(OSError):
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            key = fh.read()
        if ((hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o077) or len(key) != 32:
            return None
        return key
    if not create:
        return None
    import secrets

    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _secret_key(create=False)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def _signed(blob: bytes) -> bytes:
    key = _secret_key(create=True)
    if key is None:
        raise OSError("no usable cache key")
    return _MAC_MAGIC + hmac.new(key, blob, hashlib.sha256).digest() + blob


def _verified(data: bytes) -> bytes:
    """The payload of a signed cache file; raises ValueError unless its HMAC is this install's."""
    key = _secret_key(create=False)
    head = len(_MAC_MAGIC)
    if key is None or not data.startswith(_MAC_MAGIC) or len(data) < head + 32:
        raise ValueError("unsigned cache file")
    mac, blob = data[head: head + 32], data[head + 32:]
    if not hmac.compare_digest(mac, hmac.new(key, blob, hashlib.sha256).digest()):
        raise ValueError("cache file HMAC mismatch")
    return blob


def read_cached_frames(key: str) -> dict[str, pd.DataFrame] | None:
    """The frames cached under `key`, or None when absent, unreadable, corrupt or not ours."""
    path = _cache_file(key)
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            # only a file this user wrote and nobody else can change (pickle runs code on load)
            if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o022:
                return None
            blob = fh.read()
        # pickle runs code on load: only bytes carrying this install's HMAC are unpickled
        payload = pickle.loads(_verified(blob))
    except Exception:  # missing, unreadable, truncated or corrupt: validate instead
        return None
    if not isinstance(payload, dict) or payload.get("format") != _CACHE_FORMAT or payload.get("key") != key:
        return None
    frames = payload.get("frames")
    if not _frames_match_schemas(frames):
        return None
    with suppress(OSError):
        os.utime(path)  # recently used entries are kept longest
    return frames  # type: ignore[return-value]


def write_cached_frames(key: str, frames: Mapping[str, pd.DataFrame]) -> bool:
    """Store validated frames under `key` (temp file + os.replace); False if it could not be written.

    Never raises: the cache only saves time, so an unwritable directory just means validating
    again next time. Keeps the newest `CACHE_KEEP` entries.
    """
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".frames-", suffix=".tmp", dir=directory)  # mode 0600
        try:
            blob = pickle.dumps({"format": _CACHE_FORMAT, "key": key, "frames": dict(frames)},
                                protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(fd, "wb") as fh:
                fh.write(_signed(blob))
            os.replace(tmp, _cache_file(key))
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
    except Exception:
        return False
    _prune_cache(directory)
    return True


def _prune_cache(directory: Path) -> None:
    """Keep the newest CACHE_KEEP entries; drop temp files left by an interrupted write (> 1 h old)."""
    try:
        entries = []
        for path in directory.iterdir():
            with suppress(OSError):
                if path.name.startswith("frames-") and path.name.endswith(".pickle"):
                    entries.append((path.stat().st_mtime_ns, path))
                elif (path.name.startswith(".frames-") and path.name.endswith(".tmp")
                      and path.stat().st_mtime < time.time() - 3600):
                    path.unlink()
        entries.sort(reverse=True)
        for _, path in entries[CACHE_KEEP:]:
            with suppress(OSError):
                path.unlink()
    except OSError:
        pass


def validate_and_cache(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """`load_all` (full validation; raises DataError), then cache the frames for the next start.

    The key is taken before and after loading; if a file changed in between, nothing is stored
    (the frames might not match either key).
    """
    before = cache_key(root)
    frames = load_all(root)
    if cache_key(root) == before:
        write_cached_frames(before, frames)
    return frames


def load_all_cached(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """What `load_all` returns, from the cache when the sources and code are those last validated."""
    cached = read_cached_frames(cache_key(root))
    if cached is not None:
        return cached
    return validate_and_cache(root)


# ---------------------------------------------------------------- database

_SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN"}


def table_ddl(ds: Dataset) -> str:
    """CREATE TABLE for a dataset, generated from its fields (types, not null, checks, key)."""
    cols = []
    for f in ds.fields:
        col = f'"{f.name}" {_SQL_TYPES[f.type]}'
        if not f.nullable:
            col += " NOT NULL"
        if f.min is not None and f.type in ("int", "float"):
            col += f' CHECK ("{f.name}" >= {f.min!r})'
        cols.append(col)
    if ds.key:
        cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in ds.key) + ")")
    return f'CREATE TABLE "{ds.name}" (\n  ' + ",\n  ".join(cols) + "\n)"


def build_database(frames: Mapping[str, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database with one typed table per dataset plus the views of `_schema.sql`."""
    # ~0.09 s in a cold process: ~20 ms to connect, then a few ms per table to scan and insert; the
    # generated CHECK/PRIMARY KEY constraints cost nothing measurable (CREATE TABLE AS without them
    # took as long). Not cached: copying a cached DuckDB file into memory saved ~40 ms.
    con = duckdb.connect(":memory:", config={"threads": 2})
    for name, frame in frames.items():
        ds = DATASETS[name]
        con.execute(table_ddl(ds))
        # DuckDB's relation API: the frame is scanned as is and appended to the registry's table, so
        # no SQL text is built from data (constraints and types are checked as for an INSERT)
        con.from_df(frame[ds.columns]).insert_into(ds.name)
    con.execute((QUERIES_DIR / "_schema.sql").read_text(encoding="utf-8"))
    # Built: from now on no query can read or write a file, attach a database or load an extension
    # (a query reading /etc/passwd is refused), and no one can switch that back (lock_configuration).
    # Overlays still work: run_query registers the session's frames on its cursor explicitly.
    for setting in _LOCKDOWN:
        con.execute(setting)
    return con


_LOCKDOWN = ("SET enable_external_access = false", "SET autoload_known_extensions = false",
             "SET autoinstall_known_extensions = false", "SET allow_community_extensions = false",
             "SET lock_configuration = true")


def source_fingerprint(root: Path | None = None) -> tuple:
    """(path, size, mtime) of every source file and query, so a change triggers a rebuild."""
    root = root or data_root()
    stats = []
    for ds in DATASETS.values():
        p = root / ds.file
        st = p.stat() if p.exists() else None
        stats.append((str(p), st.st_size if st else -1, st.st_mtime_ns if st else -1))
    schema = QUERIES_DIR / "_schema.sql"
    stats.append((str(schema), schema.stat().st_mtime_ns))
    return tuple(stats)


# A page run asks for the database (directly or through `database_token()` in cache keys) dozens
# of times; stat-ing every source file each time was ~70 × 13 stats per run. The app script runs
# inside `sources_pinned()`: the files are stat-ed once at the start of the run and that fingerprint
# is used until the run ends (per thread: each session runs its script on its own thread), so a file
# changed between two runs is seen by the next run. Outside it (CLI, tests, download callbacks)
# every call stats the files.
_pinned = threading.local()


@contextmanager
def sources_pinned() -> Iterator[None]:
    """Stat the source files once for the block (one app script run) instead of on every call."""
    _pinned.value = (str(data_root()), source_fingerprint())
    try:
        yield
    finally:
        _pinned.value = None


def current_fingerprint(refresh: bool = False) -> tuple:
    """`source_fingerprint()`, or the one pinned for this script run; `refresh=True` stats again."""
    pinned = getattr(_pinned, "value", None)
    if pinned is None or pinned[0] != str(data_root()):
        return source_fingerprint()
    if refresh:
        _pinned.value = (pinned[0], source_fingerprint())
    return _pinned.value[1]


_lock = threading.Lock()
_state: dict[str, object] = {}


def get_database() -> duckdb.DuckDBPyConnection:
    """The shared database, rebuilt when a source file has changed since it was built."""
    fingerprint = current_fingerprint()
    with _lock:
        if _state.get("fingerprint") != fingerprint:
            # This run's memo may be older than a rebuild another session's run already made after
            # a change: look again before rebuilding, so two overlapping runs do not rebuild in turn.
            fingerprint = current_fingerprint(refresh=True)
        if _state.get("fingerprint") != fingerprint:
            frames = load_all_cached()
            _state["con"] = build_database(frames)
            _state["frames"] = frames
            _state["fingerprint"] = fingerprint
        return _state["con"]  # type: ignore[return-value]


def shipped_frames() -> dict[str, pd.DataFrame]:
    """The typed shipped datasets the current database was built from."""
    get_database()
    return _state["frames"]  # type: ignore[return-value]


# ---------------------------------------------------------------- overlay


class Overlay(Mapping[str, pd.DataFrame]):
    """User-supplied tables for one browser session, replacing shipped tables of the same name.

    Immutable and hashable by content (`token`), so results can be cached per overlay.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame] | None = None, labels: Mapping[str, str] | None = None):
        self._tables = dict(tables or {})
        for name in self._tables:
            if name not in DATASETS:
                raise ValueError(f"overlay names unknown table {name!r}")
        self.labels = dict(labels or {})  # table -> provenance text the user gave
        digest = hashlib.sha256()
        for name in sorted(self._tables):
            digest.update(name.encode())
            digest.update(pd.util.hash_pandas_object(self._tables[name], index=False).values.tobytes())
        self.token = digest.hexdigest()[:16] if self._tables else ""

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self._tables[key]

    def __iter__(self):
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __hash__(self) -> int:
        return hash(self.token)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Overlay) and other.token == self.token

    @property
    def user_datasets(self) -> list[str]:
        """The datasets the user replaced (the overlay's `sources` table only carries their provenance)."""
        return [name for name in self._tables if name != "sources"]

    def with_table(self, name: str, frame: pd.DataFrame, label: str = "") -> Overlay:
        """A new overlay with `name` replaced by `frame`."""
        return Overlay({**self._tables, name: frame}, {**self.labels, name: label})

    def without(self, name: str) -> Overlay:
        """A new overlay with `name` back to the shipped table."""
        tables = {k: v for k, v in self._tables.items() if k != name}
        return Overlay(tables, {k: v for k, v in self.labels.items() if k != name})


EMPTY_OVERLAY = Overlay()


def frames(overlay: Overlay | None = None) -> dict[str, pd.DataFrame]:
    """Every dataset as a typed frame, with the overlay's tables in place of the shipped ones."""
    merged = dict(shipped_frames())
    merged.update(dict(overlay or {}))
    return merged


def data_source_ids(tables: tuple[str, ...], overlay: Overlay | None = None) -> tuple[str, ...]:
    """The source ids of the rows of `tables` as this session sees them (shipped or uploaded), sorted.

    Models cite these instead of a fixed `demo_layer`, so a figure computed from an upload names
    the upload's source.
    """
    ids: set[str] = set()
    for name in tables:
        frame = frames(overlay)[name]
        if "source_id" in frame.columns:
            ids.update(str(s) for s in frame["source_id"].dropna().unique())
    return tuple(sorted(ids))


def database_token() -> str:
    """Changes whenever the shipped database is rebuilt; use it in cache keys."""
    get_database()
    return str(hash(_state["fingerprint"]))


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class QuerySpec:
    """A query file: its SQL, declared parameters (name -> SQL type) and declared result columns."""

    name: str
    sql: str
    description: str
    params: dict[str, str]
    returns: str


_PARAM_RE = re.compile(r"\$([a-z_][a-z0-9_]*)\s+([A-Z]+(?:\[\])?)")


@cache
def _load_query_cached(name: str, mtime: int) -> QuerySpec:
    return parse_query(name, (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8"))


def parse_query(name: str, sql: str) -> QuerySpec:
    """Check a query file's header (name, params, returns) against its SQL and return its spec."""
    lines = sql.splitlines()
    header = [ln[2:].strip() for ln in lines if ln.startswith("--")]
    if not header or not header[0].startswith(f"{name}:"):
        raise ValueError(f"queries/{name}.sql: first line must be '-- {name}: <description>'")
    params_line = next((h for h in header if h.startswith("params:")), None)
    returns_line = next((h for h in header if h.startswith("returns:")), None)
    if params_line is None or returns_line is None:
        raise ValueError(f"queries/{name}.sql: header needs '-- params:' and '-- returns:' lines")
    params = dict(_PARAM_RE.findall(params_line))
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", "\n".join(ln for ln in lines if not ln.startswith("--"))))
    if used != set(params):
        raise ValueError(f"queries/{name}.sql: header declares {sorted(params)} but the SQL uses {sorted(used)}")
    return QuerySpec(name, sql, header[0].split(":", 1)[1].strip(), params, returns_line.split(":", 1)[1].strip())


def load_query(name: str) -> QuerySpec:
    """Parse `queries/<name>.sql` and its header (cached until the file changes)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"invalid query name {name!r}")
    path = QUERIES_DIR / f"{name}.sql"
    if not path.exists():
        raise ValueError(f"unknown query {name!r} (no file queries/{name}.sql)")
    return _load_query_cached(name, path.stat().st_mtime_ns)


def query_names() -> list[str]:
    """Every named query (files in queries/ not starting with an underscore)."""
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql") if not p.name.startswith("_"))


def run_query(name: str, overlay: Mapping[str, pd.DataFrame] | None = None, **params: object) -> pd.DataFrame:
    """Run `queries/<name>.sql` with bound parameters; `overlay` replaces tables for this call only."""
    spec = load_query(name)
    if set(params) != set(spec.params):
        raise TypeError(f"query {name!r} takes parameters {sorted(spec.params)}, got {sorted(params)}")
    cursor = get_database().cursor()
    try:
        for table, frame in (overlay or {}).items():
            if table not in DATASETS:
                raise ValueError(f"overlay names unknown table {table!r}")
            cursor.register(table, frame[DATASETS[table].columns])
        return cursor.execute(spec.sql, params).df() if params else cursor.execute(spec.sql).df()
    finally:
        cursor.close()

"""DuckDB: typed tables built from the validated frames, rebuilt when a source file changes, and named queries.

The database is built in memory from the files listed in `dashboard.data.schemas.DATASETS` (parsed and
checked by `dashboard.data.load`, cached by `dashboard.data.cache`) and shared across Streamlit sessions;
each query runs on its own cursor, which may carry a session overlay of user-supplied tables registered
under the shipped tables' names (so one session's upload never reaches another, and nothing is written
to the shipped files). After building, the connection is locked: no file access, no extension loading.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import QUERIES_DIR, data_root
from dashboard.data.cache import load_all_cached
from dashboard.data.schemas import DATASETS, Dataset

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
    # the central city's districts come from data/city.toml (any city), not from the SQL text
    from dashboard.data.city import current

    con.execute("CREATE TABLE central_city (district_code VARCHAR PRIMARY KEY)")
    con.executemany("INSERT INTO central_city VALUES (?)", [[c] for c in current().central_districts])
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
    toml = root / "data" / "city.toml"  # the central city's districts (build_database)
    stats.append((str(toml), toml.stat().st_mtime_ns if toml.exists() else -1))
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

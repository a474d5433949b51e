"""The validated-data cache: frames of a successful validation, on disk, signed, keyed by every byte they came from.

Keyed by a SHA-256 of every source file's bytes, the source of the modules that parse and check them
and the library versions, so a server start on unchanged files skips parsing and validation;
`python -m dashboard check` always validates in full and then writes the cache (docs/architecture.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pandera
import pyarrow

from dashboard import QUERIES_DIR, REPO_ROOT, data_root
from dashboard.data import load, schemas
from dashboard.data.schemas import DATASETS, PANDAS_TYPES

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
    for module in (load, sys.modules[__name__]):  # the parsers and checks, and this cache's format
        add(Path(module.__file__).name, Path(module.__file__))
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
    frames = load.load_all(root)
    if cache_key(root) == before:
        write_cached_frames(before, frames)
    return frames


def load_all_cached(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """What `load_all` returns, from the cache when the sources and code are those last validated."""
    cached = read_cached_frames(cache_key(root))
    if cached is not None:
        return cached
    return validate_and_cache(root)



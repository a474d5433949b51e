"""Upload checks in a worker process with a CPU-time and memory budget, one at a time.

The page checks an upload with `validate_bounded`: the check runs in a child process forked from a
multiprocessing fork server (which has imported the checks and loaded the reference data once), at
lowest priority (nice 19: background work next to interactive sessions), with `resource.setrlimit`:

- RLIMIT_CPU = `CPU_SECONDS` (SIGXCPU, then SIGKILL two seconds later): a file that takes longer to
  parse is stopped and refused with `problem_cpu_limit`;
- RLIMIT_AS = the address space the child starts with + `MEMORY_BUDGET_MB`: an allocation beyond it
  fails (MemoryError in Python, an abort in native code) and the file is refused with
  `problem_memory_limit`;
- a wall-clock limit (`WALL_SECONDS`) for a child that sleeps or blocks.

At most one check runs at a time in the server (a semaphore), so an upload can use one of the
machine's cores and never the others' share. The server's own memory never holds the parsed file
(only the pickled `Result` comes back). Where fork servers or rlimits are unavailable (not Linux or
macOS), the check runs in-process, as the CLI always does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from dashboard.data import db
from dashboard.upload.core import Result, _problem

CPU_SECONDS = 30
MEMORY_BUDGET_MB = 1024
WALL_SECONDS = 90

log = logging.getLogger(__name__)
_EXIT_MEMORY, _EXIT_OTHER = 3, 4
budget_mb = MEMORY_BUDGET_MB  # the memory budget of the check running in this process
_one_at_a_time = threading.BoundedSemaphore(1)
_ctx_lock = threading.Lock()
_ctx: object | None = None


def _context():
    global _ctx
    with _ctx_lock:
        if _ctx is None:
            import multiprocessing

            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["dashboard.upload.warm"])
            _ctx = ctx
        return _ctx


def _address_space() -> int:
    """Bytes of address space this process maps now (Linux: /proc/self/statm)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _child(conn, data: bytes, filename: str, dataset: str, fixes: tuple[str, ...], overlay, cpu: int,
           memory_mb: int) -> None:
    import resource

    from dashboard.upload import validate

    with contextlib.suppress(OSError):
        os.nice(19)
    global budget_mb
    budget_mb = memory_mb  # named by a MemoryError caught inside the check (validate.validate_bytes)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    base = _address_space()
    if base:
        limit = base + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = validate.validate_bytes(data, filename, dataset, fixes=fixes, overlay=overlay)
        conn.send(result)
        conn.close()
    except MemoryError:
        os._exit(_EXIT_MEMORY)
    except BaseException:
        log.exception("upload worker failed on %r", filename)
        os._exit(_EXIT_OTHER)


def _refused(filename: str, dataset: str, key: str, **args: object) -> Result:
    result = Result(dataset, filename)
    result.refused = True
    result.problems = [_problem(filename, None, None, None, key, **args)]
    return result


def validate_bounded(data: bytes, filename: str, dataset: str, fixes: Sequence[str] = (),
                     overlay: db.Overlay | None = None, cpu_seconds: int = CPU_SECONDS,
                     memory_mb: int = MEMORY_BUDGET_MB, wall_seconds: float = WALL_SECONDS) -> Result:
    """`validate.validate_bytes` in a worker process with CPU-time and memory limits (see the module)."""
    from dashboard.upload import validate

    dataset = validate.resolve_dataset(dataset).name  # an alias ("subdistricts") resolved once
    name = os.path.basename(filename) or "upload"
    if not hasattr(os, "fork") or sys.platform == "win32":
        return validate.validate_bytes(data, filename, dataset, fixes=fixes, overlay=overlay)
    try:
        return _bounded(data, name, dataset, tuple(fixes), overlay, cpu_seconds, memory_mb, wall_seconds)
    except Exception:  # the worker machinery itself failed: the last resort, as for a check
        log.exception("upload worker could not check %r", name)
        return _refused(name, dataset, "unexpected", file=name)


def _bounded(data: bytes, name: str, dataset: str, fixes: tuple[str, ...], overlay, cpu_seconds: int,
             memory_mb: int, wall_seconds: float) -> Result:
    with _one_at_a_time:
        ctx = _context()
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, data, name, dataset, fixes, overlay, cpu_seconds, memory_mb),
                           daemon=True)
        proc.start()
        send.close()
        result, timed_out = None, False
        try:
            if receive.poll(wall_seconds):
                result = receive.recv()
            else:
                timed_out = True
        except (EOFError, OSError):  # the child died before sending (killed at a limit)
            result = None
        finally:
            receive.close()
        if timed_out:
            proc.kill()
            proc.join(5)
            log.warning("upload check of %r stopped after %s s (wall-clock limit)", name, wall_seconds)
            return _refused(name, dataset, "time_limit", limit=f"{wall_seconds:g}")
        proc.join(5)
        if isinstance(result, Result):
            return result
        code = proc.exitcode
        log.warning("upload check of %r ended with exit code %s", name, code)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return _refused(name, dataset, "cpu_limit", limit=f"{cpu_seconds:g}")
        if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, _EXIT_MEMORY):
            return _refused(name, dataset, "memory_limit", limit=f"{memory_mb:,}")
        return _refused(name, dataset, "unexpected", file=name)

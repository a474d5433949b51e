"""Serve the dashboard as several Streamlit workers behind HAProxy, and restart a worker that dies.

    python deploy/serve.py --workers 2 --port 8501        # what `make serve WORKERS=2` runs
    python deploy/serve.py --render haproxy.cfg --backend 10.0.0.11:8601 --backend 10.0.0.12:8601 \\
        --address 0.0.0.0 --port 80                        # only write a config for workers elsewhere

Layout (docs/deploy.md): HAProxy listens on `--address:--port` (default 127.0.0.1:8501) and balances
browsers over N `streamlit run dashboard/app.py` processes on 127.0.0.1:8601, 8602, ... Sessions are
sticky by a cookie HAProxy sets (the websocket, uploads and media of one session reach the worker
that holds its state); HAProxy checks each worker's /_stcore/health and stops sending to one that
fails. This supervisor starts the workers and HAProxy, restarts a worker that exits (or that stops
answering its health check), and stops everything on Ctrl+C / SIGTERM. Each worker keeps its own
in-memory state: an upload lives in its session on its worker, nothing is shared on disk.

The configuration is rendered from deploy/haproxy.cfg.in and checked with `haproxy -c -f` before
HAProxy starts. No Streamlit import here: the module is importable by tests and the load test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboard" / "app.py"
TEMPLATE = Path(__file__).with_name("haproxy.cfg.in")
COOKIE = "CGD_WORKER"
WORKER_HEADER = "X-Dashboard-Worker"
FIRST_WORKER_PORT = 8601
DEFAULT_RUN_DIR = REPO / ".run" / "serve"


class ServeError(RuntimeError):
    """Serving cannot start (no HAProxy, a port taken, a config HAProxy rejects); the message says why."""


@dataclass(frozen=True)
class Backend:
    name: str  # HAProxy server name and cookie value, e.g. "w1"
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def local_backends(workers: int, first_port: int = FIRST_WORKER_PORT, host: str = "127.0.0.1") -> list[Backend]:
    if workers < 1:
        raise ServeError(f"--workers must be at least 1 (got {workers})")
    return [Backend(f"w{i + 1}", host, first_port + i) for i in range(workers)]


def parse_backend(text: str, index: int) -> Backend:
    """'host:port' (a worker on another machine) -> Backend named w<index>."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ServeError(f"--backend {text!r}: expected HOST:PORT, e.g. 10.0.0.11:8601")
    return Backend(f"w{index}", host, int(port))


def render_config(backends: Sequence[Backend], port: int, bind_address: str = "127.0.0.1", *,
                  cookie: str = COOKIE, maxconn: int = 4000, worker_maxconn: int = 1000,
                  check_interval: str = "2s", log_target: str | None = "stdout",
                  template: Path = TEMPLATE) -> str:
    """The HAProxy configuration for these workers (text of deploy/haproxy.cfg.in filled in)."""
    if not backends:
        raise ServeError("no workers to balance over")
    names = [b.name for b in backends]
    if len(set(names)) != len(names):
        raise ServeError(f"worker names repeat: {names}")
    servers = "\n".join(f"    server {b.name} {b.host}:{b.port} cookie {b.name}" for b in backends)
    global_extra = f"    log {log_target} format raw local0 info" if log_target else ""
    text = Template(template.read_text(encoding="utf-8")).substitute(
        maxconn=maxconn, worker_maxconn=worker_maxconn, check_interval=check_interval, cookie=cookie,
        bind_address=bind_address, port=port, servers=servers, global_extra=global_extra)
    if log_target:
        text = text.replace("defaults\n", "defaults\n    log global\n", 1)
    return text


def haproxy_binary() -> str | None:
    found = shutil.which("haproxy")
    if found:
        return found
    return "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None


def haproxy_missing_message() -> str:
    return ("HAProxy not found. `make serve` and its tests need Debian's haproxy package: run `make setup` "
            "(scripts/setup_system.sh installs it as root) or `apt-get install haproxy`.")


def check_config(path: Path) -> subprocess.CompletedProcess:
    """`haproxy -c -f path`: HAProxy's own syntax and semantics check (returncode 0 = valid)."""
    binary = haproxy_binary()
    if binary is None:
        raise ServeError(haproxy_missing_message())
    return subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=timeout) as resp:
            return resp.status == 200
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as the servers do: a port whose last connections are in TIME_WAIT is free to listen on
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# ---------------------------------------------------------------- processes


@dataclass
class Worker:
    """One `streamlit run` process on a loopback port; restarted by the supervisor when it dies."""

    backend: Backend
    cmd: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0  # monotonic time before which a crashed worker is not restarted (back-off)
    unhealthy_since: float | None = None
    history: list[tuple[float, str]] = field(default_factory=list)  # (time.time(), event)

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # Ctrl+C reaches the supervisor, which stops us
        self.started_at = time.monotonic()
        self.unhealthy_since = None
        self.history.append((time.time(), f"started pid {self.proc.pid}"))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout)


def worker_command(backend: Backend, app: Path = APP, extra_args: Sequence[str] = ()) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.port", str(backend.port), "--server.address", backend.host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
        *extra_args,
    ]


class Supervisor:
    """N workers and HAProxy; `start()`, then `run()` (blocking) or `start_monitor()` (a thread); `stop()`."""

    def __init__(self, workers: int = 2, port: int = 8501, *, address: str = "127.0.0.1",
                 first_worker_port: int = FIRST_WORKER_PORT, run_dir: Path = DEFAULT_RUN_DIR,
                 app: Path = APP, env: dict[str, str] | None = None, extra_args: Sequence[str] = (),
                 check_interval: str = "2s", poll_s: float = 0.5, hang_timeout_s: float = 60.0,
                 log: Callable[[str], None] | None = None):
        self.backends = local_backends(workers, first_worker_port)
        self.port = port
        self.address = address
        self.run_dir = Path(run_dir)
        self.config_path = self.run_dir / "haproxy.cfg"
        self.check_interval = check_interval
        self.poll_s = poll_s
        self.hang_timeout_s = hang_timeout_s
        self.log = log or (lambda msg: print(f"serve: {msg}", flush=True))
        # One cookie secret for every worker: Streamlit signs its XSRF cookie with it, so a browser sent
        # to another worker (its own died) can still upload there.
        base_env = {**os.environ, **(env or {})}
        base_env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
        self.workers = [Worker(b, worker_command(b, app, extra_args), base_env, self.run_dir / f"worker-{b.name}.log")
                        for b in self.backends]
        self.haproxy: subprocess.Popen | None = None
        self.haproxy_restarts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "") else self.address
        return f"http://{host}:{self.port}"

    def worker(self, name: str) -> Worker:
        return next(w for w in self.workers if w.name == name)

    # ---- start / stop

    def start(self) -> Supervisor:
        binary = haproxy_binary()
        if binary is None:
            raise ServeError(haproxy_missing_message())
        taken = [f"{b.host}:{b.port}" for b in self.backends if not port_free(b.host, b.port)]
        if not port_free(self.address or "0.0.0.0", self.port):
            taken.append(f"{self.address}:{self.port}")
        if taken:
            raise ServeError(f"port(s) already in use: {', '.join(taken)} (another `make serve` or `make run`?); "
                             "choose others with PORT=... / --first-worker-port ...")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render_config(self.backends, self.port, self.address,
                                                  check_interval=self.check_interval), encoding="utf-8")
        checked = check_config(self.config_path)
        if checked.returncode != 0:
            raise ServeError(f"haproxy rejected {self.config_path}:\n{checked.stdout}{checked.stderr}")
        for w in self.workers:
            w.start()
            self.log(f"worker {w.name} on {w.backend.url} (pid {w.pid}, log {w.log_path})")
        self._start_haproxy()
        return self

    def _start_haproxy(self) -> None:
        log = open(self.run_dir / "haproxy.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            self.haproxy = subprocess.Popen([haproxy_binary(), "-db", "-f", str(self.config_path)], cwd=self.run_dir,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.log(f"haproxy on {self.url} (pid {self.haproxy.pid}, config {self.config_path})")

    def wait_healthy(self, timeout: float = 120) -> float:
        """Block until every worker answers its health check through its port and the proxy answers too."""
        start = time.monotonic()
        while time.monotonic() - start < timeout and not self._stop.is_set():
            for w in self.workers:
                if w.proc is not None and w.proc.poll() is not None and w.restarts == 0 and not self._thread:
                    raise ServeError(f"worker {w.name} exited with code {w.proc.returncode} before it was healthy; "
                                     f"see {w.log_path}:\n" + _tail(w.log_path))
            if self.haproxy is not None and self.haproxy.poll() is not None and not self._thread:
                raise ServeError(f"haproxy exited with code {self.haproxy.returncode}; see "
                                 f"{self.run_dir / 'haproxy.log'}:\n" + _tail(self.run_dir / "haproxy.log"))
            if all(healthy(w.backend.url) for w in self.workers) and healthy(self.url):
                return time.monotonic() - start
            time.sleep(0.2)
        if self._stop.is_set():
            return time.monotonic() - start
        raise ServeError(f"not healthy after {timeout:.0f} s: " + ", ".join(
            f"{w.name} {'up' if healthy(w.backend.url) else 'down'}" for w in self.workers))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        with self._lock:
            if self.haproxy is not None and self.haproxy.poll() is None:
                self.haproxy.terminate()
                try:
                    self.haproxy.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.haproxy.kill()
                    self.haproxy.wait(timeout=10)
            for w in self.workers:
                w.stop()

    def __enter__(self) -> Supervisor:
        self.start()
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- supervision

    def poll_once(self, check_hangs: bool = True) -> list[str]:
        """Restart what died (workers with a back-off when they crash right after starting); returns events."""
        events = []
        now = time.monotonic()
        with self._lock:
            if self._stop.is_set():
                return events
            for w in self.workers:
                if w.alive():
                    if check_hangs:
                        events += self._check_hung(w, now)
                    continue
                if w.next_start == 0.0:  # first sight of the death: schedule the restart
                    code = w.proc.returncode if w.proc else None
                    quick = now - w.started_at < 10
                    delay = min(30.0, 2.0 ** min(w.restarts, 5)) if quick and w.restarts else 0.0
                    w.next_start = now + delay
                    w.history.append((time.time(), f"exited with code {code}"))
                    events.append(f"worker {w.name} (pid {w.pid}) exited with code {code}; "
                                  f"restarting{f' in {delay:.0f} s' if delay else ''}")
                if now >= w.next_start:
                    w.next_start = 0.0
                    w.restarts += 1
                    w.start()
                    events.append(f"worker {w.name} restarted (pid {w.pid}, restart {w.restarts})")
            if self.haproxy is not None and self.haproxy.poll() is not None:
                events.append(f"haproxy exited with code {self.haproxy.returncode}; restarting")
                self.haproxy_restarts += 1
                self._start_haproxy()
        for e in events:
            self.log(e)
        return events

    def _check_hung(self, w: Worker, now: float) -> list[str]:
        """A worker alive but failing its health check for hang_timeout_s (after its start-up) is killed."""
        if self.hang_timeout_s <= 0 or now - w.started_at < max(self.hang_timeout_s, 30):
            return []
        if healthy(w.backend.url, timeout=2):
            w.unhealthy_since = None
            return []
        w.unhealthy_since = w.unhealthy_since or now
        if now - w.unhealthy_since < self.hang_timeout_s:
            return []
        w.history.append((time.time(), "unhealthy; killed"))
        w.proc.kill()
        w.proc.wait(timeout=10)
        return [f"worker {w.name} failed its health check for {self.hang_timeout_s:.0f} s; killed"]

    def run(self) -> None:
        """Supervise until stop() (or SIGTERM/SIGINT when run from the command line)."""
        last_health = time.monotonic()
        while not self._stop.wait(self.poll_s):
            # the hang check is an HTTP call per worker: every 5 s is enough
            check_hangs = time.monotonic() - last_health > 5
            self.poll_once(check_hangs)
            if check_hangs:
                last_health = time.monotonic()

    def start_monitor(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="serve-supervisor", daemon=True)
        self._thread.start()
        return self._thread


def _tail(path: Path, chars: int = 3000) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-chars:]
    return ""


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description="Several dashboard workers behind HAProxy (make serve).")
    parser.add_argument("--workers", type=int, default=cores, help=f"Streamlit processes (default: cores, {cores})")
    parser.add_argument("--port", type=int, default=8501, help="port HAProxy listens on (default 8501)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="address HAProxy listens on (default 127.0.0.1; 0.0.0.0 to serve the network)")
    parser.add_argument("--first-worker-port", type=int, default=FIRST_WORKER_PORT,
                        help=f"workers listen on 127.0.0.1 from this port up (default {FIRST_WORKER_PORT})")
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR,
                        help="rendered config and logs (default .run/serve)")
    parser.add_argument("--render", type=Path, metavar="FILE",
                        help="only write the HAProxy config to FILE, check it with haproxy -c, and exit")
    parser.add_argument("--backend", action="append", default=[], metavar="HOST:PORT",
                        help="with --render: a worker on another machine (repeat); default: the local workers")
    args = parser.parse_args(argv)

    try:
        if args.render:
            backends = ([parse_backend(b, i + 1) for i, b in enumerate(args.backend)] if args.backend
                        else local_backends(args.workers, args.first_worker_port))
            args.render.write_text(render_config(backends, args.port, args.address), encoding="utf-8")
            checked = check_config(args.render)
            print((checked.stdout + checked.stderr).strip())
            print(f"wrote {args.render} ({len(backends)} workers)")
            return checked.returncode
        sup = Supervisor(args.workers, args.port, address=args.address, first_worker_port=args.first_worker_port,
                         run_dir=args.run_dir)
        sup.start()
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2

    def on_signal(signum, _frame):
        sup.log(f"signal {signal.Signals(signum).name}: stopping")
        sup._stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        sup.wait_healthy()
        sup.log(f"ready: {sup.url} ({len(sup.workers)} workers; Ctrl+C stops)")
        sup.run()
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    finally:
        sup.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

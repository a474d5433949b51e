"""Load through the proxy: protocol-level sessions against `make serve` (deploy/serve.py), 1 vs N workers.

    .venv/bin/python bench/loadtest.py --proxy                       # make loadtest-proxy
    .venv/bin/python bench/loadtest.py --proxy --workers 2 --sessions 25 50 --duration 45 --no-append

In one run: two supervisors are started side by side on free loopback ports (HAProxy in front of 1
worker, and HAProxy in front of N workers), each worker warmed by one session that visits every page.
Then, for each session count (25 and 50 by default), the same load runs against 1 worker and then
against N workers (the phases alternate, so both see the same machine): sessions join over a few
seconds, each goes to a page, pauses 1–3 s, moves a slider one step, pauses, and repeats
(bench/loadtest.py's WsSession: Streamlit's own websocket messages, no browser). An action is one
script run, from the request to ForwardMsg.script_finished. Capacity is the actions completed per
second of the phase; latency p50/p95/max; errors are failed or timed-out runs, exceptions shown and
dropped connections.

Last, a failover phase with N workers: halfway through, one worker is killed (SIGKILL). Its sessions
lose their websocket and reconnect through HAProxy, which sends them to a live worker (cookie
redispatch); the supervisor restarts the killed worker. Reported: how many sessions were dropped, how
long each took to complete a run again, the errors of the sessions on the other workers (target 0)
and their latency before and after the kill.

The machine is shared: every phase records the machine's CPU, the CPU of this load test's own
processes (workers, HAProxy, this client) and the rest (other people's work), and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import common  # noqa: E402
from bench.loadtest import WsSession  # noqa: E402
from deploy import serve  # noqa: E402

RUN_DIR = REPO / "tests" / "artifacts" / "loadtest-proxy"


@dataclass
class Action:
    done: float  # time.monotonic() when script_finished arrived
    kind: str  # "navigation" | "rerun" | "first"
    seconds: float
    worker: str | None
    session: int


@dataclass
class Phase:
    label: str
    workers: int
    sessions: int
    duration: float
    actions: list[Action] = field(default_factory=list)
    errors: list[tuple[float, int, str | None, str]] = field(default_factory=list)  # (time, session, worker, text)
    started: float = 0.0
    ended: float = 0.0
    kill: dict = field(default_factory=dict)  # failover phase: victim, time, pid, restart seconds, drops
    usage: dict = field(default_factory=dict)

    def in_window(self) -> list[Action]:
        return [a for a in self.actions if self.started <= a.done <= self.ended and a.kind != "first"]


class Usage(threading.Thread):
    """CPU of the machine, of this load test's processes (workers, HAProxy, this client) and the rest."""

    def __init__(self, supervisors, interval: float = 0.5):
        super().__init__(daemon=True)
        import psutil

        self.psutil, self.supervisors, self.interval = psutil, supervisors, interval
        # (monotonic time, machine %, ours in % of a core, workers % of a core, client % of a core)
        self.samples: list[tuple[float, float, float, float, float]] = []
        self.stop_event = threading.Event()
        self._procs: dict[int, object] = {}

    def _cpu(self, pids, children: bool = True) -> float:
        total = 0.0
        for pid in pids:
            try:
                proc = self._procs.get(pid)
                if proc is None:
                    proc = self._procs[pid] = self.psutil.Process(pid)
                    proc.cpu_percent(None)
                    continue
                total += proc.cpu_percent(None)
                for child in proc.children(recursive=True) if children else ():  # e.g. the CBC solver
                    c = self._procs.setdefault(child.pid, child)
                    total += c.cpu_percent(None)
            except self.psutil.Error:
                self._procs.pop(pid, None)
        return total

    def run(self) -> None:
        self.psutil.cpu_percent(None)
        me = os.getpid()
        while not self.stop_event.wait(self.interval):
            worker_pids = [w.pid for s in self.supervisors for w in s.workers if w.pid]
            proxy_pids = [s.haproxy.pid for s in self.supervisors if s.haproxy]
            workers = self._cpu(worker_pids)
            proxies = self._cpu(proxy_pids)
            client = self._cpu([me], children=False)  # its children are the workers and HAProxy
            self.samples.append((time.monotonic(), self.psutil.cpu_percent(None), workers + proxies + client,
                                 workers, client))

    def window(self, start: float, end: float) -> dict:
        """Means over the samples taken between start and end (time.monotonic())."""
        picked = [s for s in self.samples if start <= s[0] <= end]
        if not picked:
            return {}
        cores = self.psutil.cpu_count() or 1

        def mean(i: int) -> float:
            return sum(s[i] for s in picked) / len(picked)

        machine, ours = mean(1), mean(2) / cores
        return {"machine": machine, "ours": ours, "others": max(0.0, machine - ours), "workers_core": mean(3),
                "client_core": mean(4), "load": os.getloadavg()[0]}

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=5)


async def _session(index: int, url: str, pages: list[dict], phase: Phase, deadline: float,
                   think: tuple[float, float], killed: dict) -> None:
    """One protocol-level session until the deadline; reconnects (with its cookie) when its worker is gone."""
    rng = random.Random(1000 + index)
    client = WsSession(url)
    dropped_at: float | None = None

    def record(kind: str, seconds: float) -> None:
        nonlocal dropped_at
        now = time.monotonic()
        phase.actions.append(Action(now, kind, seconds, client.worker, index))
        if dropped_at is not None:  # first completed run after losing the worker
            phase.kill.setdefault("recovered", []).append(
                {"session": index, "seconds": now - dropped_at, "to": client.worker})
            dropped_at = None

    async def reconnect() -> None:
        nonlocal client
        cookie = client.cookie
        with contextlib.suppress(Exception):
            await client.close()
        client = WsSession(url, cookie=cookie)
        await client.connect()
        if dropped_at is not None:
            phase.kill.setdefault("connected", []).append(time.monotonic() - dropped_at)
        elapsed, _ = await client.run()
        record("first", elapsed)

    try:
        for attempt in range(10):  # as a browser does: retry a refused connection (each failure is an error)
            try:
                await client.connect()
                break
            except Exception as exc:
                phase.errors.append((time.monotonic(), index, None, f"connect: {type(exc).__name__}: {str(exc)[:100]}"))
                if attempt == 9 or time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(1)
        elapsed, _ = await client.run()
        record("first", elapsed)
        while time.monotonic() < deadline:
            target = rng.choice(pages)
            try:
                page_hash = client.pages.get(target["href"].strip("/"), "")
                elapsed, _ = await client.run(page_hash=page_hash)
                record("navigation", elapsed)
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(rng.uniform(*think))
                move = client.slider_move(rng)
                if move is not None:
                    elapsed, _ = await client.run(page_hash=page_hash, slider=move)
                    record("rerun", elapsed)
                if client.exception:
                    phase.errors.append((time.monotonic(), index, client.worker, f"exception shown on {target['page']}"))
            except Exception as exc:  # a dropped connection or a timeout
                now = time.monotonic()
                victim = killed.get("victim")
                if victim is not None and client.worker == victim and now >= killed["time"]:
                    dropped_at = now  # its worker was killed: a reconnect, reported apart from errors
                    phase.kill.setdefault("dropped", []).append({"session": index, "error": type(exc).__name__})
                else:
                    phase.errors.append((now, index, client.worker, f"{type(exc).__name__}: {str(exc)[:120]}"))
                for _ in range(30):
                    try:
                        await reconnect()
                        break
                    except Exception:
                        await asyncio.sleep(1)
            await asyncio.sleep(rng.uniform(*think))
    except Exception as exc:
        phase.errors.append((time.monotonic(), index, client.worker, f"session failed: {type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(Exception):
            await client.close()


async def _warm(sup: serve.Supervisor, pages: list[dict]) -> None:
    """One session per worker (pinned by cookie) visits every page once."""
    for w in sup.workers:
        client = WsSession(sup.url, cookie=f"{serve.COOKIE}={w.name}")
        await client.connect()
        await client.run()
        for target in pages:
            await client.run(page_hash=client.pages.get(target["href"].strip("/"), ""))
        await client.close()


async def run_phase(phase: Phase, sup: serve.Supervisor, pages: list[dict], think: tuple[float, float], ramp: float,
                    kill_at: float | None = None) -> Phase:
    killed: dict = {}
    phase.started = time.monotonic()
    deadline = phase.started + phase.duration
    tasks = []

    async def killer() -> None:
        await asyncio.sleep(kill_at)
        # the worker with the most sessions right now
        victim = max(sup.workers, key=lambda w: len({a.session for a in phase.actions if a.worker == w.name}))
        pid = victim.pid
        killed.update(victim=victim.name, time=time.monotonic())
        phase.kill.update(victim=victim.name, pid=pid, at=killed["time"] - phase.started,
                          sessions=len({a.session for a in phase.actions if a.worker == victim.name}))
        os.kill(pid, signal.SIGKILL)
        while victim.pid == pid:
            await asyncio.sleep(0.1)
        while not serve.healthy(victim.backend.url, timeout=1):
            await asyncio.sleep(0.2)
        phase.kill["back_after"] = time.monotonic() - killed["time"]

    if kill_at is not None:
        tasks.append(asyncio.create_task(killer()))
    for i in range(phase.sessions):
        tasks.append(asyncio.create_task(_session(i, sup.url, pages, phase, deadline, think, killed)))
        await asyncio.sleep(ramp / max(phase.sessions, 1))
    await asyncio.gather(*tasks)
    phase.ended = deadline
    return phase


def _pct(values, q) -> str:
    return f"{common.percentile(values, q):.2f} s" if values else "—"


def report(phases: list[Phase], args, n_workers: int) -> str:
    load_phases = [p for p in phases if not p.kill]
    lines = [
        f"Protocol-level sessions (Streamlit's websocket messages, no browser) through HAProxy on 127.0.0.1, "
        f"{args.duration:.0f} s per phase, think {args.think[0]:g}–{args.think[1]:g} s, sessions join over "
        f"{args.ramp:g} s. 1 worker and {n_workers} workers, each behind its own HAProxy, run side by side "
        "(alternating phases). An action is one script run (page switch or slider move) to script_finished.",
        "",
        "| Workers | Sessions | Actions done | Capacity (actions/s) | p50 | p95 | max | Slider reruns p95 "
        "| Errors | Workers CPU (% of a core) | Actions per worker CPU-s | Client CPU (% of a core) | Machine CPU "
        "| Others' CPU | Load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in load_phases:
        acts = p.in_window()
        secs = [a.seconds for a in acts]
        reruns = [a.seconds for a in acts if a.kind == "rerun"]
        u = p.usage
        lines.append(
            f"| {p.workers} | {p.sessions} | {len(acts)} | {len(acts) / p.duration:.2f} | {_pct(secs, 50)} "
            f"| {_pct(secs, 95)} | {_pct(secs, 100)} | {_pct(reruns, 95)} | {len(p.errors)} "
            f"| {u.get('workers_core', float('nan')):.0f}% "
            f"| {len(acts) / (u.get('workers_core', float('nan')) / 100 * p.duration):.2f} "
            f"| {u.get('client_core', float('nan')):.0f}% "
            f"| {u.get('machine', float('nan')):.0f}% "
            f"| {u.get('others', float('nan')):.0f}% | {u.get('load', float('nan')):.2f} |")
    by_sessions: dict[int, dict[int, float]] = {}
    for p in load_phases:
        by_sessions.setdefault(p.sessions, {})[p.workers] = len(p.in_window()) / p.duration
    ratios = [f"{s} sessions: {v[n_workers] / v[1]:.2f}×" for s, v in sorted(by_sessions.items())
              if 1 in v and n_workers in v and v[1] > 0]
    if ratios and n_workers > 1:
        lines += ["", f"Capacity with {n_workers} workers relative to 1: " + "; ".join(ratios) + "."]
    for p in phases:
        if not p.kill:
            continue
        k = p.kill
        victim = k.get("victim")
        before = [a.seconds for a in p.in_window() if a.worker != victim and a.done < p.started + k.get("at", 0)]
        after = [a.seconds for a in p.in_window() if a.worker != victim and a.done >= p.started + k.get("at", 0)]
        others_errors = [e for e in p.errors if e[2] != victim]
        rec = [r["seconds"] for r in k.get("recovered", [])]
        landed = sorted({str(r["to"]) for r in k.get("recovered", [])})
        lines += [
            "",
            f"Failover: {p.workers} workers, {p.sessions} sessions, {p.duration:.0f} s; worker {victim} "
            f"(pid {k.get('pid')}, {k.get('sessions', 0)} sessions) killed with SIGKILL at {k.get('at', 0):.0f} s.",
            "",
            "| Figure | Value |",
            "|---|---:|",
            f"| Sessions whose websocket dropped | {len(k.get('dropped', []))} |",
            f"| · completed a run again (reconnected through HAProxy) | {len(rec)} (landed on {', '.join(landed) or '—'}) |",
            f"| · time from the drop to a new websocket through HAProxy: p50 / max | "
            f"{_pct(k.get('connected', []), 50)} / {_pct(k.get('connected', []), 100)} |",
            f"| · time from the drop to a completed run there: p50 / max | {_pct(rec, 50)} / {_pct(rec, 100)} |",
            f"| Killed worker restarted by the supervisor and healthy after | "
            f"{k['back_after']:.1f} s |" if "back_after" in k else "| Killed worker healthy again | **not seen** |",
            f"| Errors of sessions on the other workers | {len(others_errors)} |",
            f"| Errors of the killed worker's sessions besides the drop | {len(p.errors) - len(others_errors)} |",
            f"| Other workers' actions before the kill: n, p50, p95 | {len(before)}, {_pct(before, 50)}, {_pct(before, 95)} |",
            f"| Other workers' actions after the kill: n, p50, p95 | {len(after)}, {_pct(after, 50)}, {_pct(after, 95)} |",
            f"| Capacity over the phase (actions/s) | {len(p.in_window()) / p.duration:.2f} |",
            f"| Machine CPU / others' CPU / load avg | {p.usage.get('machine', float('nan')):.0f}% / "
            f"{p.usage.get('others', float('nan')):.0f}% / {p.usage.get('load', float('nan')):.2f} |",
        ]
    errors = [(p.label, e) for p in phases for e in p.errors]
    if errors:
        lines += ["", "Errors (first 10):", ""] + [f"- {label}: s{e[1]} on {e[2]}: {e[3]}" for label, e in errors[:10]]
    lines += ["", "Machine CPU is the share of all cores; workers' CPU is summed over the workers (100% = one core); "
              "others' CPU is the machine's minus this load test's own processes (workers, HAProxy, the client)."]
    return "\n".join(lines) + "\n"


async def run_all(args) -> tuple[list[Phase], int]:
    all_pages = [{"page": p["page"], "href": p["url"]} for p in common.app_pages()]
    pages = [p for p in all_pages for _ in range(4 if common.slider_params(p["page"]) else 1)]
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    quiet = lambda msg: None  # noqa: E731
    one = serve.Supervisor(1, common.free_port(), first_worker_port=args.first_worker_port,
                           run_dir=RUN_DIR / "one", log=quiet)
    many = serve.Supervisor(args.workers, common.free_port(), first_worker_port=args.first_worker_port + 10,
                            run_dir=RUN_DIR / "many", log=quiet)
    phases: list[Phase] = []
    with one, many:
        one.start_monitor()
        many.start_monitor()
        print("warming the workers ...", flush=True)
        await _warm(one, all_pages)
        await _warm(many, all_pages)
        usage = Usage([one, many])
        usage.start()
        try:
            for n in args.sessions:
                for sup in (one, many):
                    phase = Phase(f"{len(sup.workers)}w×{n}", len(sup.workers), n, args.duration)
                    print(f"phase {phase.label} ...", flush=True)
                    await run_phase(phase, sup, pages, tuple(args.think), args.ramp)
                    phase.usage = usage.window(phase.started, phase.ended)
                    phases.append(phase)
                    await asyncio.sleep(2)
            if args.kill_duration > 0 and args.workers > 1:
                phase = Phase(f"failover {args.workers}w×{args.kill_sessions}", args.workers, args.kill_sessions,
                              args.kill_duration)
                print(f"phase {phase.label} (a worker killed at {args.kill_duration / 2:.0f} s) ...", flush=True)
                await run_phase(phase, many, pages, tuple(args.think), args.ramp, kill_at=args.kill_duration / 2)
                phase.usage = usage.window(phase.started, phase.ended)
                phases.append(phase)
        finally:
            usage.stop()
    return phases, args.workers


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description="Protocol-level load through HAProxy: 1 vs N workers, and a failover.")
    parser.add_argument("--proxy", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=cores, help=f"N (default: cores, {cores})")
    parser.add_argument("--sessions", type=int, nargs="+", default=[25, 50])
    parser.add_argument("--duration", type=float, default=45, help="seconds per phase (default 45)")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    parser.add_argument("--ramp", type=float, default=5)
    parser.add_argument("--kill-duration", type=float, default=60,
                        help="failover phase length; a worker is killed halfway (0: no failover phase)")
    parser.add_argument("--kill-sessions", type=int, default=25)
    parser.add_argument("--first-worker-port", type=int, default=18601)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(argv)
    if serve.haproxy_binary() is None:
        print(serve.haproxy_missing_message(), file=sys.stderr)
        return 2
    facts = common.machine_facts()
    load_before = os.getloadavg()
    phases, n = asyncio.run(run_all(args))
    body = (f"Load average before the run: {load_before[0]:.2f} (1 min), {load_before[1]:.2f} (5 min).\n\n"
            + report(phases, args, n))
    print(body)
    if not args.no_append:
        extra = " ".join(argv if argv is not None else sys.argv[1:])
        command = f".venv/bin/python bench/loadtest.py {extra}".strip()
        title = (f"Load through HAProxy, 1 vs {n} workers, {' and '.join(map(str, args.sessions))} "
                 "protocol-level sessions, and a worker killed")
        common.append_results(common.report_section(title, command, body, facts))
        print(f"appended to {common.RESULTS_MD.relative_to(REPO)}")
    errors = sum(len(p.errors) for p in phases if not p.kill)
    errors += sum(1 for p in phases if p.kill for e in p.errors if e[2] != p.kill.get("victim"))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The HAProxy configuration `make serve` uses: rendered from deploy/haproxy.cfg.in and accepted by HAProxy.

HAProxy itself checks the files (`haproxy -c -f`): Debian's haproxy package, installed by
scripts/setup_system.sh. When it is missing the tests fail with a message saying how to install it.
"""

from __future__ import annotations

import re
import sys
import time

import pytest

from deploy import serve


@pytest.fixture(scope="module")
def haproxy() -> str:
    binary = serve.haproxy_binary()
    if binary is None:
        pytest.fail(serve.haproxy_missing_message(), pytrace=False)
    return binary


def test_local_config_is_valid_for_haproxy(tmp_path, haproxy):
    backends = serve.local_backends(3, first_port=18601)
    text = serve.render_config(backends, port=18501)
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    checked = serve.check_config(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout + checked.stderr
    # every placeholder filled, one server line per worker with its own cookie value
    assert "$" not in text
    assert re.findall(r"^\s+server (\S+) (\S+) cookie (\S+)$", text, re.M) == [
        ("w1", "127.0.0.1:18601", "w1"), ("w2", "127.0.0.1:18602", "w2"), ("w3", "127.0.0.1:18603", "w3")]
    assert "bind 127.0.0.1:18501" in text
    # sticky by cookie, health-checked on Streamlit's endpoint, redispatch when a worker is gone
    assert f"cookie {serve.COOKIE} insert indirect nocache httponly" in text
    assert "option httpchk GET /_stcore/health" in text
    assert "option redispatch" in text
    assert "timeout tunnel" in text  # websockets outlive the http timeouts


def test_remote_workers_config_is_valid(tmp_path, haproxy):
    backends = [serve.parse_backend("10.0.0.11:8601", 1), serve.parse_backend("10.0.0.12:8601", 2)]
    path = tmp_path / "haproxy.cfg"
    path.write_text(serve.render_config(backends, port=8080, bind_address="0.0.0.0"))
    checked = serve.check_config(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "server w2 10.0.0.12:8601 cookie w2" in path.read_text()


def test_haproxy_rejects_a_broken_config(tmp_path, haproxy):
    # the check is real: a config with an unknown keyword fails it
    path = tmp_path / "bad.cfg"
    path.write_text(serve.render_config(serve.local_backends(1), port=18501).replace(
        "balance leastconn", "balance no-such-algorithm"))
    assert serve.check_config(path).returncode != 0


def test_cli_render_writes_and_checks(tmp_path, haproxy, capsys):
    out = tmp_path / "h.cfg"
    assert serve.main(["--render", str(out), "--workers", "2", "--port", "18502",
                       "--first-worker-port", "18611"]) == 0
    assert "server w2 127.0.0.1:18612 cookie w2" in out.read_text()
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["10.0.0.11", "host:", ":8601", "host:port"])
def test_bad_backend_is_a_clear_error(text):
    with pytest.raises(serve.ServeError, match="expected HOST:PORT"):
        serve.parse_backend(text, 1)


def test_at_least_one_worker():
    with pytest.raises(serve.ServeError, match="at least 1"):
        serve.local_backends(0)


# ---------------------------------------------------------------- the supervisor's restarts (no Streamlit)


def _supervisor(tmp_path, cmd: list[str], workers: int = 2) -> serve.Supervisor:
    """A supervisor whose 'workers' are plain processes (cmd); HAProxy is not started."""
    sup = serve.Supervisor(workers, port=18599, first_worker_port=18591, run_dir=tmp_path, log=lambda msg: None)
    for w in sup.workers:
        w.cmd = cmd
    return sup


def test_a_dead_worker_is_restarted_on_its_port(tmp_path):
    sup = _supervisor(tmp_path, [sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        for w in sup.workers:
            w.start()
        w1, w2 = sup.workers
        old1, old2 = w1.pid, w2.pid
        w1.proc.kill()
        w1.proc.wait()
        events = sup.poll_once(check_hangs=False)
        assert [e for e in events if "w1" in e and "exited" in e] and [e for e in events if "w1 restarted" in e]
        assert w1.pid != old1 and w1.alive() and w1.restarts == 1
        assert w2.pid == old2 and w2.restarts == 0  # the other worker is left alone
        assert w1.backend.port == 18591  # same port, so HAProxy's server line still points at it
    finally:
        sup.stop()
    assert not any(w.alive() for w in sup.workers)


def test_a_worker_that_keeps_crashing_backs_off(tmp_path):
    sup = _supervisor(tmp_path, [sys.executable, "-c", "raise SystemExit(3)"], workers=1)
    try:
        w = sup.workers[0]
        w.start()
        w.proc.wait()
        sup.poll_once(check_hangs=False)  # first death: restarted at once
        assert w.restarts == 1
        w.proc.wait()
        events = sup.poll_once(check_hangs=False)  # died again within 10 s of starting: wait first
        assert any("exited with code 3" in e and "restarting in 2 s" in e for e in events), events
        assert w.restarts == 1 and not w.alive()
    finally:
        sup.stop()


def test_a_hung_worker_is_killed_and_restarted(tmp_path):
    # alive, but nothing answers its health check (no server on its port)
    sup = _supervisor(tmp_path, [sys.executable, "-c", "import time; time.sleep(120)"], workers=1)
    sup.hang_timeout_s = 0.01
    try:
        w = sup.workers[0]
        w.start()
        w.started_at -= 100  # past the start-up grace
        old = w.pid
        assert sup.poll_once() == []  # first failed check: noted, not yet killed
        assert w.unhealthy_since is not None and w.alive()
        time.sleep(0.05)
        events = sup.poll_once()
        assert any("failed its health check" in e for e in events), events
        assert w.pid == old and not w.alive()  # killed; the next poll restarts it
        sup.poll_once(check_hangs=False)
        assert w.alive() and w.pid != old
    finally:
        sup.stop()

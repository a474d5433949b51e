"""The HAProxy configuration `make serve` uses: rendered from deploy/haproxy.cfg.in and accepted by HAProxy.

HAProxy itself checks the files (`haproxy -c -f`): Debian's haproxy package, installed by
scripts/setup_system.sh. When it is missing the tests fail with a message saying how to install it.
"""

from __future__ import annotations

import re

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

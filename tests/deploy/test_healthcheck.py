"""deploy/healthcheck.py, the image's HEALTHCHECK, against a small HTTP server: which port it asks."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "deploy_healthcheck", Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"
)
assert _spec is not None and _spec.loader is not None
healthcheck = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(healthcheck)


class _Readyz(BaseHTTPRequestHandler):
    ready = True

    def do_GET(self) -> None:
        status = 200 if self.ready and self.path == "/readyz" else 503
        body = json.dumps({"reasons": [] if status == 200 else ["NATS is not reachable."]}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    for key in [k for k in os.environ if k.endswith("_HTTP_PORT")]:
        monkeypatch.delenv(key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Readyz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_it_asks_readyz_on_the_containers_own_port(service, monkeypatch, capsys):
    monkeypatch.setenv("MEETINGS_HTTP_PORT", str(service))
    assert healthcheck.main() == 0


def test_a_service_that_is_not_ready_is_unhealthy_with_its_reasons(service, monkeypatch, capsys):
    monkeypatch.setenv("MEETINGS_HTTP_PORT", str(service))
    monkeypatch.setattr(_Readyz, "ready", False)
    assert healthcheck.main() == 1
    assert "not ready: NATS is not reachable." in capsys.readouterr().out


def test_with_several_ports_it_does_not_guess_one(service, monkeypatch, capsys):
    # A gateway port of 8000 that would answer must not make another service look healthy.
    monkeypatch.setenv("MEETINGS_HTTP_PORT", "9")
    monkeypatch.setenv("GATEWAY_HTTP_PORT", str(service))
    assert healthcheck.main() == 1
    said = capsys.readouterr().out
    assert "GATEWAY_HTTP_PORT" in said and "MEETINGS_HTTP_PORT" in said

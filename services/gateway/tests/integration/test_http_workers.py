"""Each of uvicorn's worker processes (GATEWAY_HTTP_WORKERS > 1) builds its own app: it must log like
the main process, as JSON lines with the service's name, not structlog's default console lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from backbone.identity import write_keypair

# What a spawned worker runs: a fresh interpreter, the factory, then a log line.
WORKER = """
from gateway.app import app_from_environment
from backbone.logs import get_logger
app_from_environment()
get_logger("gateway.worker").info("worker ready")
"""


def test_a_worker_process_logs_json_with_the_service_name(tmp_path: Path) -> None:
    keys = write_keypair(tmp_path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")},
        "GATEWAY_ENVIRONMENT": "development",
        "GATEWAY_IDENTITY_SIGNING_KEY": str(keys.signing),
        "GATEWAY_LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    lines = [line for line in done.stderr.splitlines() if "worker ready" in line]
    assert lines, f"no log line on stderr; stdout: {done.stdout!r} stderr: {done.stderr!r}"
    logged = json.loads(lines[0])
    assert logged["service"] == "gateway" and logged["event"] == "worker ready"

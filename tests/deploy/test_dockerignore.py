"""What .dockerignore keeps out of the build context: secrets and local state, wherever they lie."""

from __future__ import annotations

from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parents[2]

LEFT_OUT = [
    ".env",
    "deploy/.env",
    "services/gateway/.env",
    ".env.production",
    "tests/deploy/prod.env",
    "identity-signing.pem",
    "deploy/identity-signing.pem",
    "services/gateway/var/identity/signing.pem",
    "deploy/tls/server.key",
    "var/run/devstack.log",
    "var/deploy/test-envs/delaktigtest.env",
    "services/meetings/var/cache.db",
    "services/meetings/tests/test_x.py",
]
KEPT = [
    "deploy/env.example",
    "deploy/Dockerfile",
    "services/meetings/src/meetings/app.py",
    "var/deploy/wheels/nats_py-2.9.0-py3-none-any.whl",
]


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / ".dockerignore").write_text((ROOT / ".dockerignore").read_text())
    for name in LEFT_OUT + KEPT:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    return tmp_path


def test_env_files_keys_and_local_state_stay_out_of_the_build_context(context: Path) -> None:
    patterns = [line for line in (context / ".dockerignore").read_text().splitlines() if line.strip()]
    sent = set(exclude_paths(str(context), patterns))
    assert not sent & set(LEFT_OUT), sorted(sent & set(LEFT_OUT))
    assert set(KEPT) <= sent, sorted(set(KEPT) - sent)

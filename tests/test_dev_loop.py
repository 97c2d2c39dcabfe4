"""`reflex run` (dev mode) settles: one compile at start, one per source change, none for data.

The server runs from the repository root (where developers run it) with its data directory
a watched-by-default top-level folder, as `data/` is.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from command_center import devloop
from command_center.settings import PROJECT_ROOT, get_settings
from command_center.warehouse.generate import ensure_local_warehouse_report
from tests.e2e.prod_server import free_port

ROOT = PROJECT_ROOT
BUN_DIR = ROOT / ".tools" / "node_modules" / ".bin"
COMPILED = re.compile(r"Compiling:.*100%")
RELOADING = "Changes detected, reloading"
START_TIMEOUT_S = 600


class DevServer:
    """`reflex run` with its output collected line by line; waits are on those lines."""

    def __init__(self, env: dict[str, str], frontend: int, backend: int) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.backend = f"http://127.0.0.1:{backend}"
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "reflex"), "run", "--loglevel", "debug",
             "--frontend-port", str(frontend), "--backend-port", str(backend)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def count(self, match: Callable[[str], bool]) -> int:
        with self._changed:
            return sum(1 for line in self.lines if match(line))

    def wait_for(self, match: Callable[[str], bool], n: int, timeout: float) -> None:
        """Block until `n` lines match (bounded); fail with the log tail otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(1 for line in self.lines if match(line)) < n:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    pytest.fail(f"waited for {n} matching lines; log:\n{self.tail()}")
                self._changed.wait(min(left, 1.0))

    def wait_serving(self, timeout: float) -> None:
        """Poll the backend's /ping until it answers (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.backend}/ping", timeout=2).status_code == 200:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)  # polling a port, not ordering events
        pytest.fail(f"backend never answered /ping; log:\n{self.tail()}")

    def tail(self, n: int = 60) -> str:
        return "".join(self.lines[-n:])

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def dev_server() -> Iterator[tuple[DevServer, Path]]:
    if not (BUN_DIR / "bun").exists() and not shutil.which("bun"):
        if os.environ.get("CC_REQUIRE_E2E") == "1":
            pytest.fail("bun not installed (make setup)")
        pytest.skip("bun not installed (make setup)")
    data_dir = ROOT / f"data-devloop-{uuid.uuid4().hex[:8]}"  # watched unless excluded
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_",
           "DATABRICKS_", "BUILDER_", "LANGFUSE_", "API_TOKEN", "CC_STARTUP"))},
        "DATA_DIR": str(data_dir), "WAREHOUSE_ROWS": "5000", "SEED_CUSTOMERS": "50",
        "REFLEX_USE_SYSTEM_BUN": "1", "PYTHONUNBUFFERED": "1",
        "PATH": f"{BUN_DIR}:{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    }  # fmt: skip
    env.pop("REFLEX_HOT_RELOAD_EXCLUDE_PATHS", None)
    server = DevServer(env, free_port(), free_port())
    try:
        yield server, data_dir
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _tracked(paths: list[str]) -> dict[str, bytes]:
    return {path: (ROOT / path).read_bytes() for path in paths if (ROOT / path).exists()}


def test_dev_server_compiles_once_then_once_per_source_change(dev_server) -> None:
    server, data_dir = dev_server
    locks = _tracked(["reflex.lock/package.json", "reflex.lock/bun.lock"])
    server.wait_for(lambda line: "App running at" in line, 1, START_TIMEOUT_S)
    server.wait_serving(120)
    assert server.count(COMPILED.search) == 1, server.tail()
    assert server.count(lambda line: "Target database is not up to date" in line) == 0
    start = next(i for i, line in enumerate(server.lines) if "Reload paths:" in line)
    end = next(i for i in range(start, len(server.lines)) if "]" in server.lines[i])
    reload_paths = "".join(server.lines[start : end + 1])
    assert "command_center" in reload_paths and data_dir.name not in reload_paths

    # the app writes its own data files: a database write and a killed build's leftovers
    response = httpx.get(f"{server.backend}/v1/health", timeout=30)
    assert response.status_code == 200, response.text
    (data_dir / ".warehouse.duckdb.1.deadbeef.tmp.wal").write_bytes(b"x")
    (data_dir / "checkpoints.sqlite-wal").write_bytes(b"x")

    module = ROOT / "command_center" / "ui" / "theme.py"
    module.write_bytes(module.read_bytes())  # a source change (same content)
    server.wait_for(lambda line: RELOADING in line, 1, 120)
    server.wait_for(COMPILED.search, 2, 300)
    server.wait_serving(120)
    assert server.count(COMPILED.search) == 2, server.tail()
    assert server.count(lambda line: RELOADING in line) == 1, server.tail()
    assert _tracked(list(locks)) == locks, "running the app modified tracked lock files"


def test_dev_run_is_detected_only_for_reflex_run_in_dev_mode() -> None:
    assert devloop.is_dev_run(["/x/.venv/bin/reflex", "run"], {})
    assert devloop.is_dev_run(["/x/reflex/__main__.py", "run", "--env", "dev"], {})
    assert not devloop.is_dev_run(["reflex", "run", "--env", "prod"], {})
    assert not devloop.is_dev_run(["reflex", "run", "--env=prod"], {})
    assert not devloop.is_dev_run(["reflex", "run"], {"REFLEX_ENV_MODE": "prod"})
    assert not devloop.is_dev_run(["reflex", "export"], {})
    assert not devloop.is_dev_run(["pytest", "run"], {})


def test_reload_excludes_cover_data_and_non_source(settings_env, monkeypatch, tmp_path) -> None:
    root = tmp_path / "project"
    for name in ("command_center", "data", "tests", "docs", "mydata"):
        (root / name).mkdir(parents=True)
    monkeypatch.setenv("DATA_DIR", str(root / "mydata"))
    get_settings.cache_clear()
    excluded = devloop.reload_excludes(get_settings(), root)
    names = {path.name for path in excluded}
    assert {"data", "tests", "docs", "mydata"} <= names
    assert "command_center" not in names
    monkeypatch.setenv(devloop.EXCLUDE_ENV, "/somewhere/else")
    merged = devloop.exclude_from_hot_reload(excluded).split(os.pathsep)
    assert merged[0] == "/somewhere/else" and str(root / "mydata") in merged


def test_a_killed_build_leaves_nothing_behind(settings) -> None:
    report = ensure_local_warehouse_report(settings)
    assert report.built
    leftovers = [
        settings.data_dir / ".warehouse.duckdb.123.abcd1234.tmp",
        settings.data_dir / ".warehouse.duckdb.123.abcd1234.tmp.wal",
    ]
    for path in leftovers:
        path.write_bytes(b"half a build")
    again = ensure_local_warehouse_report(settings)
    assert not again.built
    assert not any(path.exists() for path in leftovers)

"""Start and stop the production build (docker/entrypoint.sh) on a free port.

Shared by the browser tests (tests/e2e/conftest.py) and the event-to-pixel benchmark.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from command_center.eval.sandbox_page import ensure_compiler

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BUILD_TIMEOUT_S = 900


class PrerequisiteMissing(RuntimeError):
    """Chromium or bun is not installed."""


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProdServer:
    """A running production build; `url` is its single origin."""

    def __init__(self, url: str, process: subprocess.Popen, log_path: Path, env: dict) -> None:
        self.url, self.process, self.log_path, self.env = url, process, log_path, env

    def log_tail(self, lines: int = 60) -> str:
        """The last lines the server printed (for failure messages)."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_prod_server(tmp: Path, extra_env: dict[str, str] | None = None) -> ProdServer:
    """Run docker/entrypoint.sh on a free port and wait until `/ping` and the page answer."""
    if not Path(CHROMIUM).exists():
        raise PrerequisiteMissing(f"{CHROMIUM} not installed (make setup-test)")
    bun_dir = ROOT / ".tools" / "node_modules" / ".bin"
    if not (bun_dir / "bun").exists() and not shutil.which("bun"):
        raise PrerequisiteMissing("bun not installed (make setup)")
    ensure_compiler()  # the sandbox's on-demand Babel, served from assets/
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATA_DIR": str(tmp / "data"),
        "WAREHOUSE_ROWS": "50000",
        "SEED_CUSTOMERS": "300",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "AUTH_MODE": "open",  # browser tests not about sign-in run the labelled open demo
        "PATH": f"{bun_dir}:{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        **(extra_env or {}),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "DATABRICKS_HOST", "BUILDER_MODE", "API_TOKEN"):
        if name not in (extra_env or {}):
            env.pop(name, None)
    log_path = tmp / "server.log"
    process = subprocess.Popen(
        ["bash", str(ROOT / "docker" / "entrypoint.sh")],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = ProdServer(f"http://127.0.0.1:{port}", process, log_path, env)
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log_tail()}")
        try:
            ping = httpx.get(f"{server.url}/ping", timeout=2)
            if ping.status_code == 200 and httpx.get(server.url + "/", timeout=5).is_success:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    stop_prod_server(server)
    raise RuntimeError(f"server did not come up in {BUILD_TIMEOUT_S}s:\n{server.log_tail()}")


def stop_prod_server(server: ProdServer) -> None:
    """Stop the server's whole process group."""
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)


def start_backend_only(tmp: Path, extra_env: dict[str, str] | None = None) -> ProdServer:
    """`reflex run --env prod --backend-only` (Granian, no frontend build) on a free port.

    Runs the bootstrap first (migrate, seed, warehouse) as the entrypoint does; open demo
    unless `extra_env` says otherwise. For tests of the backend's HTTP and WebSocket limits.
    """
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp / "data"), "WAREHOUSE_ROWS": "5000",
           "SEED_CUSTOMERS": "20", "AUTH_MODE": "open", "PYTHONPATH": str(ROOT)}  # fmt: skip
    for name in ("DATABASE_URL", "REDIS_URL", "DATABRICKS_HOST", "BUILDER_MODE", "API_TOKEN"):
        env.pop(name, None)
    env.update(extra_env or {})
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "command_center.bootstrap"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    log_path = tmp / "backend.log"
    process = subprocess.Popen(
        [python, "-m", "reflex", "run", "--env", "prod", "--backend-only",
         "--backend-port", str(port), "--backend-host", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    server = ProdServer(f"http://127.0.0.1:{port}", process, log_path, env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"backend exited with {process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/ping", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.5)
    stop_prod_server(server)
    raise RuntimeError(f"backend did not come up in 300 s:\n{server.log_tail()}")

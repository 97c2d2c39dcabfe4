"""The app process killed with SIGKILL in the middle of a batch, then restarted (issue 12):
no half-applied batch (events, claims and KPIs agree) and a paused clarifier thread resumes
at the same question."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from command_center.ops.simulator import EventGenerator, load_world
from tests.e2e.prod_server import free_port

ROOT = Path(__file__).resolve().parents[2]
BATCH = 1000


class ApiProcess:
    """`uvicorn command_center.api.app:build_api` in its own process (killable)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "command_center.api.app:build_api",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.url + "/v1/kpis", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)  # polling for readiness, not ordering events
        raise AssertionError("API process did not start:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def api(pg_url: str, tmp_path: Path) -> Iterator[ApiProcess]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "DATABRICKS_", "BUILDER_", "API_TOKEN"))
    }
    env.update(
        DATABASE_URL=pg_url, DATA_DIR=str(tmp_path / "data"), WAREHOUSE_ROWS="5000",
        SEED_CUSTOMERS="100", PYTHONPATH=str(ROOT),
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "command_center.bootstrap"], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    server = ApiProcess(env, tmp_path / "api.log")
    server.start()
    yield server
    server.stop()


def _database(pg_url: str) -> str:
    return make_url(pg_url).database or ""


def _inserting(pg_url: str) -> bool:
    """True while the app has a statement running against this test's database."""
    admin = make_url(pg_url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
            "AND pid <> pg_backend_pid() AND query ILIKE '%%events%%'",
            (_database(pg_url),),
        ).fetchone()
    return bool(row and row[0])


def _sse(text_body: str) -> list[tuple[str, dict]]:
    events = []
    for block in text_body.split("\n\n"):
        if block.strip():
            lines = dict(line.split(": ", 1) for line in block.split("\n"))
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_sigkill_mid_batch_leaves_no_half_batch_and_threads_resume(
    api: ApiProcess, pg_url: str
) -> None:
    engine = create_engine(pg_url)
    # A clarifier conversation paused on a question before the crash.
    started = _sse(
        httpx.post(api.url + "/v1/widgets/clarify", json={"raw_input": "claims"}, timeout=60).text
    )
    questions = next(data for name, data in started if name == "questions")

    generator = EventGenerator(load_world(engine, customers=100), random.Random(3))
    killed_batch: list[dict] = []
    for _attempt in range(5):
        batch = [generator.next_event() for _ in range(BATCH)]
        done = threading.Event()

        def post(batch: list[dict] = batch, done: threading.Event = done) -> None:
            with contextlib.suppress(httpx.HTTPError):  # the process dies under us: expected
                httpx.post(api.url + "/v1/events", json=batch, timeout=120)
            done.set()

        thread = threading.Thread(target=post, daemon=True)
        thread.start()
        while not done.is_set() and not _inserting(pg_url):
            done.wait(0.005)
        if not done.is_set():
            api.kill()
            killed_batch = batch
            thread.join(30)
            break
    assert killed_batch, "never caught a batch in flight"

    api.start()
    ids = [event["event_id"] for event in killed_batch]
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM events WHERE event_id = ANY(:ids)"), {"ids": ids}
        ).scalar_one()
        filed = [e["claim_id"] for e in killed_batch if e["type"] == "claim_filed"]
        claims = conn.execute(
            text("SELECT count(*) FROM claims WHERE external_id = ANY(:ids)"), {"ids": filed}
        ).scalar_one()
    assert stored == 0 or stored >= BATCH * 0.9, f"half-applied batch: {stored} of {BATCH}"
    assert (claims == 0) == (stored == 0), (claims, stored)

    # Retrying the batch after the restart completes it exactly once.
    retried = httpx.post(api.url + "/v1/events", json=killed_batch, timeout=120)
    assert retried.status_code == 202, retried.text
    body = retried.json()
    assert body["accepted"] + body["duplicates"] + len(body["rejected"]) == BATCH
    assert body["duplicates"] == stored
    report = httpx.post(api.url + "/v1/kpis/reconcile", timeout=60).json()
    assert report["mismatches"] == {}

    # The paused conversation resumes at the same question in the new process.
    question = questions["questions"][0]
    answer = {
        "thread_id": questions["thread_id"],
        "answers": [{"question_id": question["id"], "answer": (question["options"] or ["x"])[0]}],
        "checkpoint_id": questions["checkpoint_id"],
    }
    resumed = httpx.post(api.url + "/v1/widgets/clarify/respond", json=answer, timeout=60)
    assert resumed.status_code == 200, resumed.text  # not 404 (lost) nor 409 (moved on)
    names = [name for name, _ in _sse(resumed.text)]
    assert "error" not in names and names[-1] == "result", names
    engine.dispose()

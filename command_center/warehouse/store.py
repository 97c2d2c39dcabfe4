"""The local warehouse on disk: one working file, published as read-only snapshots.

DuckDB lets one process open a file for writing, or several processes open it read-only, not
both. So the working file (`data/warehouse.duckdb`) is written by one process at a time, under
an exclusive file lock (the initial build, the sync's micro-batches), and never read by the
query path. After each committed batch the writer copies it to an immutable snapshot
(`data/warehouse.snapshots/v….duckdb`) and atomically replaces the pointer file `CURRENT`;
every process (every Reflex worker) reads the snapshot the pointer names, read-only. A reader
therefore sees a whole batch or none of it, and a writer never waits for readers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

SCHEMA = "l3_asurion"
TABLE = "ev_claim"
QUALIFIED_TABLE = f"{SCHEMA}.{TABLE}"
META_TABLE = f"{SCHEMA}._meta"
READONLY_CONFIG = {"enable_external_access": False}
KEEP_SNAPSHOTS = 3
POINTER = "CURRENT"

# ev_claim columns, in table order, with the DuckDB type used to bind a batch
COLUMNS: list[tuple[str, str]] = [
    ("claim_id", "VARCHAR"),
    ("customer_id", "VARCHAR"),
    ("product_name", "VARCHAR"),
    ("plan_tier", "VARCHAR"),
    ("claim_status", "VARCHAR"),
    ("loss_type", "VARCHAR"),
    ("region", "VARCHAR"),
    ("channel", "VARCHAR"),
    ("device_make", "VARCHAR"),
    ("device_model", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
    ("resolved_at", "TIMESTAMP"),
    ("payout_amount", "DECIMAL(10, 2)"),
    ("deductible_amount", "DECIMAL(10, 2)"),
]


@dataclass(frozen=True)
class Snapshot:
    """A published, immutable copy of the warehouse: its file, version and data time."""

    file: Path
    version: str
    as_of: str
    rows: int


def snapshot_dir(path: Path) -> Path:
    """Where the snapshots of working file `path` live."""
    return path.with_name(path.name.removesuffix(".duckdb") + ".snapshots")


def connect_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection with file-system access disabled.

    Every read-only connection in the process must use this function: DuckDB refuses two
    connections to one file with different configurations.
    """
    return duckdb.connect(str(path), read_only=True, config=dict(READONLY_CONFIG))


def connect_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the working file (caller holds `build_lock`)."""
    conn = duckdb.connect(str(path))
    conn.execute("SET enable_progress_bar = false")
    return conn


@contextlib.contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """The exclusive inter-process lock every writer of `path` holds (no-op without fcntl)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_meta(path: Path) -> dict[str, str] | None:
    """The `_meta` key/values of a warehouse file, or None if absent/unreadable."""
    if not path.exists():
        return None
    try:
        with contextlib.closing(connect_readonly(path)) as conn:
            return dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
    except duckdb.Error as exc:
        log.warning("local warehouse %s unreadable, will rebuild: %s", path, exc)
        return None


def write_meta(conn: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    """Upsert `_meta` keys (inside the caller's transaction)."""
    conn.executemany(
        f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?)",
        [(key, str(value)) for key, value in values.items()],
    )


def upsert_rows(conn: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> int:
    """Replace-or-insert `rows` (ev_claim column order) keyed on claim_id; returns the count.

    The batch is bound as one list per column and unnested in DuckDB (no per-row round trip).
    Runs inside the caller's transaction, so a batch lands whole or not at all.
    """
    if not rows:
        return 0
    columns = list(zip(*rows, strict=True))
    select = ", ".join(f"unnest(?::{kind}[]) AS {name}" for (name, kind) in COLUMNS)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _batch AS SELECT " + select, [list(c) for c in columns]
    )
    # a claim's filing time never changes, and the table is in filing order: the created_at
    # bound lets DuckDB skip every row group older than the batch's oldest claim
    conn.execute(
        f"DELETE FROM {QUALIFIED_TABLE} WHERE claim_id IN (SELECT claim_id FROM _batch) "
        "AND created_at >= (SELECT min(created_at) FROM _batch)"
    )
    conn.execute(f"INSERT INTO {QUALIFIED_TABLE} SELECT * FROM _batch")
    conn.execute("DROP TABLE _batch")
    return len(rows)


def _pointer(path: Path) -> Path:
    return snapshot_dir(path) / POINTER


def publish(path: Path, meta: dict[str, str]) -> Snapshot:
    """Copy the (closed, checkpointed) working file to a new snapshot and point readers at it.

    Caller holds `build_lock(path)`. Keeps the last `KEEP_SNAPSHOTS` snapshots: a reader
    still querying an unlinked one keeps reading it (POSIX), a reader that lost the race to
    open it re-reads the pointer.
    """
    directory = snapshot_dir(path)
    directory.mkdir(parents=True, exist_ok=True)
    version = f"{meta.get('build_id', 'b')}.{int(meta.get('sync_seq', '0')):08d}"
    name = f"v{version}.duckdb"
    tmp = directory / f".{name}.tmp"
    shutil.copyfile(path, tmp)
    os.replace(tmp, directory / name)
    as_of = meta.get("as_of") or meta.get("built_at") or dt.datetime.now(dt.UTC).isoformat()
    document = {"file": name, "version": version, "as_of": as_of, "rows": int(meta.get("rows", 0))}
    pointer_tmp = directory / f".{POINTER}.{os.getpid()}.tmp"
    pointer_tmp.write_text(json.dumps(document))
    os.replace(pointer_tmp, _pointer(path))
    snapshots = sorted((p for p in directory.glob("v*.duckdb")), key=lambda p: p.stat().st_mtime_ns)
    for old in snapshots[:-KEEP_SNAPSHOTS]:
        if old.name != name:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
    return Snapshot(directory / name, version, as_of, document["rows"])


def current_snapshot(path: Path) -> Snapshot | None:
    """The snapshot readers should use now, or None when none was published yet."""
    try:
        document = json.loads(_pointer(path).read_text())
    except (FileNotFoundError, ValueError):
        return None
    file = snapshot_dir(path) / document["file"]
    return Snapshot(file, str(document["version"]), str(document["as_of"]), int(document["rows"]))


def pointer_stamp(path: Path) -> tuple[int, int] | None:
    """A cheap change marker of the pointer file (inode, mtime), or None when absent."""
    try:
        stat = _pointer(path).stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns

"""Build the local DuckDB warehouse (`l3_asurion.ev_claim`): history + a copy of the OLTP claims.

The warehouse is one business with the operational database (`command_center.business`):
every OLTP claim is copied as is (the same code path the live sync uses), and the older
history the OLTP database does not keep is generated inside DuckDB from `range()` with
hash-derived draws, at the business's claim rate, before the oldest OLTP claim — so a million
rows take seconds and the same inputs always give the same data. The file is written under a
temporary name and renamed into place, then published as a read-only snapshot
(`warehouse/store.py`). Full regeneration happens only when the file is missing or
unreadable, the schema/generator changes, the sizing settings change, or the OLTP database is
a different one (e.g. after `make demo-reset`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from command_center import business as biz
from command_center.settings import Settings, get_settings
from command_center.warehouse.store import (
    META_TABLE,
    QUALIFIED_TABLE,
    READONLY_CONFIG,
    SCHEMA,
    TABLE,
    build_lock,
    connect_readonly,
    connect_writer,
    publish,
    read_meta,
    write_meta,
)

__all__ = [
    "GENERATOR_VERSION",
    "META_TABLE",
    "QUALIFIED_TABLE",
    "READONLY_CONFIG",
    "SCHEMA",
    "TABLE",
    "BuildReport",
    "HistoryParams",
    "connect_readonly",
    "ensure_local_warehouse",
    "ensure_local_warehouse_report",
    "generate_warehouse",
    "read_meta",
    "remove_stale_builds",
]

log = logging.getLogger(__name__)

DEFAULT_SEED = 20240601
GENERATOR_VERSION = "2"

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE {QUALIFIED_TABLE} (
    claim_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    product_name VARCHAR NOT NULL,
    plan_tier VARCHAR NOT NULL,
    claim_status VARCHAR NOT NULL,
    loss_type VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    device_make VARCHAR NOT NULL,
    device_model VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    payout_amount DECIMAL(10, 2),
    deductible_amount DECIMAL(10, 2) NOT NULL
);
CREATE TABLE {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
"""


@dataclass(frozen=True)
class HistoryParams:
    """What determines the generated history: how many rows, the seed, where it ends (the
    oldest OLTP claim, naive UTC), the customer id space and the daily claim rate."""

    rows: int
    seed: int
    boundary: dt.datetime
    customers: int
    retention_days: int

    @property
    def days(self) -> int:
        """How many days before `boundary` the history spans (the business's claim rate)."""
        rate = max(biz.claims_per_day(self.customers), 1e-9)
        return max(1, math.ceil(self.rows / rate))


@dataclass(frozen=True)
class BuildReport:
    """Outcome of `ensure_local_warehouse_report`: where, whether it was (re)built, how long."""

    path: Path
    built: bool
    seconds: float
    meta: dict[str, str]


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _weighted_case(u: str, choices: Sequence[tuple[str, float]]) -> str:
    """SQL CASE picking a value from weighted `choices` with a uniform draw `u` in [0, 1)."""
    total = float(sum(weight for _, weight in choices))
    parts, cumulative = [], 0.0
    for value, weight in choices[:-1]:
        cumulative += weight / total
        parts.append(f"WHEN {u} < {cumulative!r} THEN {_q(value)}")
    return f"CASE {' '.join(parts)} ELSE {_q(choices[-1][0])} END"


def _device_case(u: str, field: int) -> str:
    """CASE on the product's device category, then a weighted pick of (make, model)[field]."""
    branches = []
    for category, devices in biz.DEVICES.items():
        inner = _weighted_case(u, [(device[field], device[2]) for device in devices])
        branches.append(f"WHEN {_q(category)} THEN {inner}")
    return f"CASE category {' '.join(branches)} END"


def _map_case(column: str, mapping: dict[str, object], default: object) -> str:
    whens = " ".join(f"WHEN {_q(key)} THEN {value!r}" for key, value in mapping.items())
    return f"(CASE {column} {whens} ELSE {default!r} END)"


def history_sql(params: HistoryParams) -> str:
    """The single INSERT … SELECT that fills the history part of `ev_claim` (pure function)."""
    seed = int(params.seed)

    def u(salt: str) -> str:
        return f"((hash(i, '{seed}:{salt}') % 1000000007)::DOUBLE / 1000000007.0)"

    boundary = params.boundary.replace(microsecond=0).isoformat(sep=" ")
    hours = [(str(hour), float(weight)) for hour, weight in enumerate(biz.HOUR_WEIGHTS)]
    products = [(p.name, p.weight) for p in biz.PRODUCTS]
    by_product = {
        "category": {p.name: p.category for p in biz.PRODUCTS},
        "tier": {p.name: p.tier for p in biz.PRODUCTS},
        "factor": {p.name: p.payout_factor for p in biz.PRODUCTS},
        "deductible": {p.name: p.deductible for p in biz.PRODUCTS},
    }
    *younger, (_, oldest) = biz.STATUS_BY_AGE  # the oldest bucket takes every older age
    status_case = (
        "CASE "
        + " ".join(
            f"WHEN age_days < {limit} THEN {_weighted_case('u_status', weights)}"
            for limit, weights in younger
        )
        + f" ELSE {_weighted_case('u_status', oldest)} END"
    )
    return f"""
INSERT INTO {QUALIFIED_TABLE}
WITH draws AS (
    SELECT
        i,
        {_weighted_case(u("product"), products)} AS product_name,
        {_weighted_case(u("loss"), biz.LOSS_TYPES)} AS loss_type,
        {_weighted_case(u("region"), biz.REGIONS)} AS region,
        {_weighted_case(u("channel"), biz.CHANNELS)} AS channel,
        LEAST(CAST(floor({u("day")} * {params.days}) AS INTEGER), {params.days - 1}) AS day_index,
        CAST({_weighted_case(u("hour"), hours)} AS INTEGER) AS hour_of_day,
        CAST(floor({u("second")} * 3600) AS INTEGER) AS second_of_hour,
        {u("status")} AS u_status,
        {u("device")} AS u_device,
        {u("resolve")} AS u_resolve,
        {u("payout")} AS u_payout,
        hash(i, '{seed}:customer') % {max(params.customers, 1)} AS customer_no
    FROM range({int(params.rows)}) AS r(i)
), aged AS (
    SELECT
        *,
        {_map_case("product_name", by_product["category"], "phone")} AS category,
        TIMESTAMP '{boundary}' - to_days(day_index + 1)
            + to_hours(hour_of_day) + to_seconds(second_of_hour) AS created_at,
        day_index + 1 + {params.retention_days} AS age_days
    FROM draws
), statused AS (
    SELECT
        *,
        {status_case} AS claim_status,
        -- resolution: minimum + exponential tail, as the OLTP seed (biz.resolve_delay_hours)
        created_at + to_seconds(CAST(3600 * (
            CASE WHEN u_resolve > 0.999999 THEN {biz.RESOLVE_MIN_HOURS}
                 ELSE {biz.RESOLVE_MIN_HOURS}
                      + (-ln(1.0 - u_resolve)) * {biz.RESOLVE_TAIL_MEAN_HOURS} END) AS BIGINT))
            AS resolve_candidate
    FROM aged
    WHERE created_at < TIMESTAMP '{boundary}'
)
SELECT
    'CLM-H' || lpad(CAST(i + 1 AS VARCHAR), 8, '0') AS claim_id,
    'CUST-' || lpad(CAST(customer_no + 1 AS VARCHAR), 6, '0') AS customer_id,
    product_name,
    {_map_case("product_name", by_product["tier"], "basic")} AS plan_tier,
    claim_status,
    loss_type,
    region,
    channel,
    {_device_case("u_device", 0)} AS device_make,
    {_device_case("u_device", 1)} AS device_model,
    created_at,
    CASE WHEN claim_status IN ('fulfilled', 'denied', 'cancelled') THEN resolve_candidate END
        AS resolved_at,
    CASE WHEN claim_status = 'fulfilled' THEN CAST(round(
        {_map_case("loss_type", biz.LOSS_BASE_PAYOUT, 200.0)}
        * {_map_case("product_name", by_product["factor"], 1.0)}
        * (0.6 + 0.8 * u_payout), 2) AS DECIMAL(10, 2)) END AS payout_amount,
    CAST({_map_case("product_name", by_product["deductible"], 49.0)}
        + {_map_case("loss_type", biz.LOSS_EXTRA_DEDUCTIBLE, 0.0)} AS DECIMAL(10, 2))
        AS deductible_amount
FROM statused
ORDER BY created_at, claim_id
"""


def _identity(settings: Settings, seed: int, oltp_key: str) -> dict[str, str]:
    """What a built file must match to be reused (compared on start-up)."""
    return {
        "generator_version": GENERATOR_VERSION,
        # hash() may change between DuckDB releases: an upgrade rebuilds the file
        "duckdb_version": duckdb.__version__,
        "seed": str(seed),
        "warehouse_rows": str(settings.warehouse_rows),
        "seed_customers": str(settings.seed_customers),
        "retention_days": str(settings.oltp_retention_days),
        "oltp": oltp_key,
    }


def generate_warehouse(
    path: Path, settings: Settings, *, seed: int = DEFAULT_SEED, engine: object | None = None
) -> dict[str, str]:
    """Build the warehouse at `path` atomically and publish it; returns its metadata.

    The caller holds `build_lock(path)`. `engine` is the OLTP database (None = the configured
    one; an absent database gives a history-only warehouse).
    """
    from command_center.warehouse import oltp

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    started = time.perf_counter()
    source = oltp.OltpSource.for_settings(settings, engine)
    facts = source.facts(settings.oltp_retention_days)
    params = HistoryParams(
        rows=max(int(settings.warehouse_rows) - facts.claims, 0),
        seed=seed,
        boundary=facts.boundary,
        customers=settings.seed_customers,
        retention_days=settings.oltp_retention_days,
    )
    try:
        with contextlib.closing(connect_writer(tmp)) as conn:
            conn.execute(DDL)
            if params.rows:
                conn.execute(history_sql(params))
            meta = _identity(settings, seed, facts.key) | {
                "history_rows": str(params.rows),
                "history_days": str(params.days),
                "boundary": params.boundary.isoformat(),
                "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "build_id": uuid.uuid4().hex[:12],
                "sync_hwm": "0",
                "sync_seq": "0",
            }
            write_meta(conn, meta)
            oltp.apply_changes(conn, source, gap_grace_seconds=0.0)  # the initial bulk copy
            conn.execute("CHECKPOINT")
            meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    publish(path, meta)
    log.info(
        "built local warehouse %s: %s history rows + %s OLTP claims in %.2fs",
        path,
        params.rows,
        facts.claims,
        time.perf_counter() - started,
    )
    return meta


def remove_stale_builds(path: Path) -> list[Path]:
    """Delete temp files (and their WALs) left by builds that were killed; call under the lock."""
    removed = []
    for leftover in path.parent.glob(f".{path.name}.*.tmp*"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def _matches(meta: dict[str, str] | None, identity: dict[str, str]) -> bool:
    return bool(meta) and all(meta.get(k) == v for k, v in identity.items())  # type: ignore[union-attr]


def ensure_local_warehouse_report(
    settings: Settings | None = None,
    *,
    path: Path | None = None,
    seed: int | None = None,
    engine: object | None = None,
    force: bool = False,
) -> BuildReport:
    """Build the local warehouse when missing, unreadable or built for other inputs."""
    from command_center.warehouse import oltp
    from command_center.warehouse.store import current_snapshot

    settings = settings or get_settings()
    target = path or settings.warehouse_path
    seed = DEFAULT_SEED if seed is None else int(seed)
    with build_lock(target):
        remove_stale_builds(target)  # we hold the lock: any temp file is from a killed build
        key = oltp.OltpSource.for_settings(settings, engine).identity()
        meta = read_meta(target)
        if not force and _matches(meta, _identity(settings, seed, key)):
            assert meta is not None
            if current_snapshot(target) is None:
                publish(target, meta)
            return BuildReport(target, built=False, seconds=0.0, meta=meta)
        started = time.perf_counter()
        meta = generate_warehouse(target, settings, seed=seed, engine=engine)
    return BuildReport(target, built=True, seconds=time.perf_counter() - started, meta=meta)


def ensure_local_warehouse(
    settings: Settings | None = None,
    *,
    path: Path | None = None,
    seed: int | None = None,
    engine: object | None = None,
) -> Path:
    """Build the local warehouse only when needed; returns the working file's path."""
    return ensure_local_warehouse_report(settings, path=path, seed=seed, engine=engine).path

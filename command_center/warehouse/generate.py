"""Deterministic generator of the local DuckDB warehouse (`l3_asurion.ev_claim`).

All rows are produced inside DuckDB from `range()` with hash-derived pseudo-random draws,
so a million rows take seconds and the same (seed, rows, anchor day) always yields the
same data. The file is written under a temporary name and renamed into place, so a crash
never leaves a half-built warehouse; `l3_asurion._meta` records what was built.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from command_center.settings import Settings, get_settings

log = logging.getLogger(__name__)

SCHEMA = "l3_asurion"
TABLE = "ev_claim"
QUALIFIED_TABLE = f"{SCHEMA}.{TABLE}"
META_TABLE = f"{SCHEMA}._meta"
DEFAULT_SEED = 20240601
GENERATOR_VERSION = "1"
WINDOW_DAYS = 365
READONLY_CONFIG = {"enable_external_access": False}

PRODUCTS: list[tuple[str, float]] = [
    ("Mobile Protect", 34),
    ("Mobile Protect Plus", 22),
    ("Home Tech", 12),
    ("Laptop Care", 12),
    ("Tablet Shield", 10),
    ("Wearables Plus", 10),
]
PRODUCT_CATEGORY = {
    "Mobile Protect": "phone",
    "Mobile Protect Plus": "phone",
    "Home Tech": "home",
    "Laptop Care": "laptop",
    "Tablet Shield": "tablet",
    "Wearables Plus": "wearable",
}
PRODUCT_PAYOUT_FACTOR = {
    "Mobile Protect": 1.0,
    "Mobile Protect Plus": 1.15,
    "Home Tech": 1.5,
    "Laptop Care": 1.8,
    "Tablet Shield": 1.1,
    "Wearables Plus": 0.6,
}
PLAN_TIERS: list[tuple[str, float]] = [("basic", 30), ("standard", 48), ("premium", 22)]
TIER_DEDUCTIBLE = {"basic": 99.0, "standard": 49.0, "premium": 29.0}
REGIONS: list[tuple[str, float]] = [
    ("Northeast", 20),
    ("Southeast", 24),
    ("Midwest", 19),
    ("Southwest", 15),
    ("West", 22),
]
CHANNELS: list[tuple[str, float]] = [("app", 42), ("web", 28), ("phone", 20), ("retail", 10)]
LOSS_TYPES: list[tuple[str, float]] = [
    ("cracked screen", 38),
    ("water damage", 14),
    ("theft", 9),
    ("loss", 11),
    ("battery", 12),
    ("malfunction", 16),
]
LOSS_BASE_PAYOUT = {
    "cracked screen": 180.0,
    "water damage": 420.0,
    "theft": 650.0,
    "loss": 600.0,
    "battery": 90.0,
    "malfunction": 260.0,
}
LOSS_EXTRA_DEDUCTIBLE = {"theft": 100.0, "loss": 100.0, "water damage": 25.0}
# status weights by claim age: recent claims are still open, old ones mostly fulfilled
STATUS_BY_AGE: list[tuple[int, list[tuple[str, float]]]] = [
    (
        3,
        [
            ("filed", 40),
            ("in_review", 35),
            ("approved", 10),
            ("fulfilled", 10),
            ("denied", 3),
            ("cancelled", 2),
        ],
    ),
    (
        14,
        [
            ("filed", 10),
            ("in_review", 25),
            ("approved", 15),
            ("fulfilled", 38),
            ("denied", 7),
            ("cancelled", 5),
        ],
    ),
    (
        10_000,
        [
            ("filed", 1),
            ("in_review", 2),
            ("approved", 4),
            ("fulfilled", 72),
            ("denied", 12),
            ("cancelled", 9),
        ],
    ),
]
# hour-of-day weights (UTC): quiet nights, busy afternoons
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 4, 6, 7, 8, 8, 8, 8, 8, 8, 7, 7, 6, 5, 4, 3, 2, 1]
DEVICES: dict[str, list[tuple[str, str, float]]] = {
    "phone": [
        ("Apple", "iPhone 15", 14),
        ("Apple", "iPhone 15 Pro", 12),
        ("Apple", "iPhone 14", 10),
        ("Apple", "iPhone 13", 8),
        ("Samsung", "Galaxy S24", 10),
        ("Samsung", "Galaxy S23", 8),
        ("Samsung", "Galaxy A54", 7),
        ("Samsung", "Galaxy Z Flip5", 4),
        ("Google", "Pixel 8", 6),
        ("Google", "Pixel 7a", 4),
        ("Motorola", "Moto G Power", 5),
        ("Motorola", "Razr+", 3),
        ("OnePlus", "OnePlus 12", 5),
        ("OnePlus", "Nord N30", 4),
    ],
    "tablet": [
        ("Apple", "iPad Air", 30),
        ("Apple", "iPad 10th Gen", 25),
        ("Samsung", "Galaxy Tab S9", 20),
        ("Amazon", "Fire HD 10", 15),
        ("Microsoft", "Surface Go 4", 10),
    ],
    "laptop": [
        ("Apple", "MacBook Air M2", 30),
        ("Dell", "XPS 13", 18),
        ("Lenovo", "ThinkPad X1 Carbon", 17),
        ("HP", "Spectre x360", 15),
        ("Microsoft", "Surface Laptop 5", 10),
        ("Acer", "Swift 3", 10),
    ],
    "wearable": [
        ("Apple", "Apple Watch Series 9", 45),
        ("Samsung", "Galaxy Watch6", 22),
        ("Google", "Pixel Watch 2", 13),
        ("Garmin", "Fenix 7", 10),
        ("Fitbit", "Charge 6", 10),
    ],
    "home": [
        ("Samsung", "QLED 65in TV", 25),
        ("LG", "OLED C3 TV", 22),
        ("Sony", "Bravia XR", 15),
        ("Dyson", "V15 Detect", 13),
        ("Bose", "Smart Soundbar 600", 12),
        ("Sonos", "Arc", 13),
    ],
}

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
class WarehouseParams:
    """What determines the generated data: row count, seed and the anchor day (UTC)."""

    rows: int
    seed: int
    anchor_day: dt.date

    def as_meta(self) -> dict[str, str]:
        """The metadata recorded in `l3_asurion._meta` (and compared on start-up)."""
        return {
            "rows": str(self.rows),
            "seed": str(self.seed),
            "anchor_day": self.anchor_day.isoformat(),
            "generator_version": GENERATOR_VERSION,
            # hash() may change between DuckDB releases: an upgrade rebuilds the file
            "duckdb_version": duckdb.__version__,
        }


@dataclass(frozen=True)
class BuildReport:
    """Outcome of `ensure_local_warehouse`: where, whether it was (re)built, and how long."""

    path: Path
    built: bool
    seconds: float
    params: WarehouseParams


def utc_today() -> dt.date:
    """Today's date in UTC (the default anchor day)."""
    return dt.datetime.now(dt.UTC).date()


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
    """CASE on the product category, then a weighted pick of (make, model)[field]."""
    branches = []
    for category, devices in DEVICES.items():
        inner = _weighted_case(u, [(device[field], device[2]) for device in devices])
        branches.append(f"WHEN {_q(category)} THEN {inner}")
    return f"CASE category {' '.join(branches)} END"


def _map_case(column: str, mapping: dict[str, float], default: float = 0.0) -> str:
    whens = " ".join(f"WHEN {_q(key)} THEN {value!r}" for key, value in mapping.items())
    return f"(CASE {column} {whens} ELSE {default!r} END)"


def build_sql(params: WarehouseParams) -> str:
    """The single INSERT … SELECT that fills `ev_claim` for `params` (pure function)."""
    seed = int(params.seed)

    def u(salt: str) -> str:
        return f"((hash(i, '{seed}:{salt}') % 1000000007)::DOUBLE / 1000000007.0)"

    anchor = params.anchor_day.isoformat()
    customers = max(params.rows // 4, 100)
    hours = [(str(hour), float(weight)) for hour, weight in enumerate(HOUR_WEIGHTS)]
    status_case = (
        "CASE "
        + " ".join(
            f"WHEN age_days < {limit} THEN {_weighted_case('u_status', weights)}"
            for limit, weights in STATUS_BY_AGE
        )
        + " END"
    )
    category_case = (
        "(CASE product_name "
        + " ".join(f"WHEN {_q(p)} THEN {_q(c)}" for p, c in PRODUCT_CATEGORY.items())
        + " ELSE 'phone' END)"
    )
    return f"""
INSERT INTO {QUALIFIED_TABLE}
WITH draws AS (
    SELECT
        i,
        {_weighted_case(u("product"), PRODUCTS)} AS product_name,
        {_weighted_case(u("tier"), PLAN_TIERS)} AS plan_tier,
        {_weighted_case(u("loss"), LOSS_TYPES)} AS loss_type,
        {_weighted_case(u("region"), REGIONS)} AS region,
        {_weighted_case(u("channel"), CHANNELS)} AS channel,
        CASE WHEN {u("mix")} < 0.7 THEN {u("day")} ELSE sqrt({u("day")}) END AS day_frac,
        CAST({_weighted_case(u("hour"), hours)} AS INTEGER) AS hour_of_day,
        CAST(floor({u("second")} * 3600) AS INTEGER) AS second_of_hour,
        {u("status")} AS u_status,
        {u("device")} AS u_device,
        {u("resolve")} AS u_resolve,
        {u("payout")} AS u_payout,
        hash(i, '{seed}:customer') % {customers} AS customer_no
    FROM range({int(params.rows)}) AS r(i)
), timed AS (
    SELECT
        *,
        {category_case} AS category,
        LEAST(CAST(floor(day_frac * {WINDOW_DAYS}) AS INTEGER), {WINDOW_DAYS - 1}) AS day_index
    FROM draws
), aged AS (
    SELECT
        *,
        TIMESTAMP '{anchor} 00:00:00' - INTERVAL {WINDOW_DAYS} DAY
            + to_days(day_index) + to_hours(hour_of_day) + to_seconds(second_of_hour)
            AS created_at,
        {WINDOW_DAYS} - day_index AS age_days
    FROM timed
), statused AS (
    SELECT
        *,
        {status_case} AS base_status,
        -- fulfilment: 6 h + exponential tail (mean ~2 days); denials/cancellations quicker
        created_at + to_seconds(CAST(3600 * (
            CASE WHEN u_resolve > 0.999999 THEN 6.0
                 ELSE 6.0 + (-ln(1.0 - u_resolve)) * 48.0 END) AS BIGINT)) AS resolve_candidate
    FROM aged
), final AS (
    SELECT
        *,
        CASE
            WHEN base_status IN ('fulfilled', 'denied', 'cancelled')
                 AND resolve_candidate >= TIMESTAMP '{anchor} 00:00:00'
            THEN CASE base_status WHEN 'fulfilled' THEN 'approved'
                                  WHEN 'denied' THEN 'in_review'
                                  ELSE 'filed' END
            ELSE base_status
        END AS claim_status
    FROM statused
)
SELECT
    'CLM-' || lpad(CAST(i + 1 AS VARCHAR), 9, '0') AS claim_id,
    'CUST-' || lpad(CAST(customer_no + 1 AS VARCHAR), 7, '0') AS customer_id,
    product_name,
    plan_tier,
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
        {_map_case("loss_type", LOSS_BASE_PAYOUT, 200.0)}
        * {_map_case("product_name", PRODUCT_PAYOUT_FACTOR, 1.0)}
        * (0.6 + 0.8 * u_payout), 2) AS DECIMAL(10, 2)) END AS payout_amount,
    CAST({_map_case("plan_tier", TIER_DEDUCTIBLE, 49.0)}
        + {_map_case("loss_type", LOSS_EXTRA_DEDUCTIBLE, 0.0)} AS DECIMAL(10, 2))
        AS deductible_amount
FROM final
ORDER BY created_at, claim_id
"""


def params_from_settings(
    settings: Settings | None = None, *, anchor_day: dt.date | None = None, seed: int | None = None
) -> WarehouseParams:
    """Generation parameters: rows from settings, anchor = today (UTC) unless given."""
    settings = settings or get_settings()
    return WarehouseParams(
        rows=int(settings.warehouse_rows),
        seed=DEFAULT_SEED if seed is None else int(seed),
        anchor_day=anchor_day or utc_today(),
    )


def connect_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection with file-system access disabled.

    Every read-only connection in the process must use this function: DuckDB refuses two
    connections to one file with different configurations.
    """
    return duckdb.connect(str(path), read_only=True, config=dict(READONLY_CONFIG))


def read_meta(path: Path) -> dict[str, str] | None:
    """The `_meta` key/values of an existing warehouse file, or None if absent/unreadable."""
    if not path.exists():
        return None
    try:
        with contextlib.closing(connect_readonly(path)) as conn:
            return dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
    except duckdb.Error as exc:
        log.warning("local warehouse %s unreadable, will rebuild: %s", path, exc)
        return None


def generate_warehouse(path: Path, params: WarehouseParams) -> float:
    """Build the warehouse at `path` atomically (temp file + rename); returns seconds taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    started = time.perf_counter()
    try:
        with contextlib.closing(duckdb.connect(str(tmp))) as conn:
            conn.execute(DDL)
            conn.execute(build_sql(params))
            meta = params.as_meta() | {
                "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            conn.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", list(meta.items()))
            conn.execute("CHECKPOINT")
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    seconds = time.perf_counter() - started
    log.info("generated local warehouse %s: %s rows in %.2fs", path, params.rows, seconds)
    return seconds


def remove_stale_builds(path: Path) -> list[Path]:
    """Delete temp files (and their WALs) left by builds that were killed; call under the lock."""
    removed = []
    for leftover in path.parent.glob(f".{path.name}.*.tmp*"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def _matches(meta: dict[str, str] | None, params: WarehouseParams) -> bool:
    if not meta:
        return False
    return all(meta.get(key) == value for key, value in params.as_meta().items())


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock next to the warehouse file (no-op without fcntl)."""
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


def ensure_local_warehouse_report(
    settings: Settings | None = None,
    *,
    path: Path | None = None,
    anchor_day: dt.date | None = None,
    seed: int | None = None,
) -> BuildReport:
    """Like `ensure_local_warehouse`, but says whether it built and how long it took."""
    settings = settings or get_settings()
    target = path or settings.warehouse_path
    params = params_from_settings(settings, anchor_day=anchor_day, seed=seed)
    if _matches(read_meta(target), params):
        if any(target.parent.glob(f".{target.name}.*.tmp*")):
            with _build_lock(target):
                remove_stale_builds(target)
        return BuildReport(target, built=False, seconds=0.0, params=params)
    with _build_lock(target):
        remove_stale_builds(target)  # we hold the lock: any temp file is from a killed build
        if _matches(read_meta(target), params):  # another process built it meanwhile
            return BuildReport(target, built=False, seconds=0.0, params=params)
        seconds = generate_warehouse(target, params)
    return BuildReport(target, built=True, seconds=seconds, params=params)


def ensure_local_warehouse(
    settings: Settings | None = None,
    *,
    path: Path | None = None,
    anchor_day: dt.date | None = None,
    seed: int | None = None,
) -> Path:
    """Build the local warehouse only when missing or built with other rows/seed/anchor day.

    Returns the file's path (`settings.warehouse_path` unless `path` is given).
    """
    return ensure_local_warehouse_report(settings, path=path, anchor_day=anchor_day, seed=seed).path

"""The local warehouse generator: determinism, row counts, distributions, rebuild rules."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from command_center.settings import Settings, get_settings
from command_center.warehouse import generate
from command_center.warehouse.generate import (
    QUALIFIED_TABLE,
    WarehouseParams,
    connect_readonly,
    ensure_local_warehouse,
    ensure_local_warehouse_report,
    generate_warehouse,
    read_meta,
)

ANCHOR = dt.date(2025, 6, 15)
CHECKSUM_SQL = f"""
SELECT count(*), sum(hash(claim_id, customer_id, product_name, plan_tier, claim_status,
    loss_type, region, channel, device_make, device_model, created_at, resolved_at,
    payout_amount, deductible_amount) % 1000000007)
FROM {QUALIFIED_TABLE}
"""


def _one(path: Path, sql: str) -> tuple:
    with contextlib.closing(connect_readonly(path)) as conn:
        return conn.execute(sql).fetchone()


def _all(path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(connect_readonly(path)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "a.duckdb"
    generate_warehouse(path, WarehouseParams(rows=5000, seed=7, anchor_day=ANCHOR))
    return path


def test_same_params_give_identical_data(built: Path, tmp_path: Path) -> None:
    other = tmp_path / "b.duckdb"
    generate_warehouse(other, WarehouseParams(rows=5000, seed=7, anchor_day=ANCHOR))
    assert _one(built, CHECKSUM_SQL) == _one(other, CHECKSUM_SQL)
    first = _all(built, f"SELECT * FROM {QUALIFIED_TABLE} ORDER BY claim_id LIMIT 50")
    second = _all(other, f"SELECT * FROM {QUALIFIED_TABLE} ORDER BY claim_id LIMIT 50")
    assert first == second


def test_other_seed_or_anchor_changes_data(built: Path, tmp_path: Path) -> None:
    reseeded = tmp_path / "seed.duckdb"
    generate_warehouse(reseeded, WarehouseParams(rows=5000, seed=8, anchor_day=ANCHOR))
    assert _one(built, CHECKSUM_SQL) != _one(reseeded, CHECKSUM_SQL)
    moved = tmp_path / "anchor.duckdb"
    later = ANCHOR + dt.timedelta(days=1)
    generate_warehouse(moved, WarehouseParams(rows=5000, seed=7, anchor_day=later))
    assert _one(moved, f"SELECT max(created_at) FROM {QUALIFIED_TABLE}")[0].date() == ANCHOR


def test_row_count_ids_and_window(built: Path) -> None:
    count, distinct, first, last = _one(
        built,
        f"SELECT count(*), count(DISTINCT claim_id), min(created_at), max(created_at) "
        f"FROM {QUALIFIED_TABLE}",
    )
    assert count == distinct == 5000
    anchor = dt.datetime.combine(ANCHOR, dt.time())
    assert anchor - dt.timedelta(days=365) <= first
    assert last < anchor
    recent = _one(
        built,
        f"SELECT count(*) FROM {QUALIFIED_TABLE} "
        f"WHERE created_at >= TIMESTAMP '{ANCHOR} 00:00:00' - INTERVAL 30 DAY",
    )[0]
    assert recent > 5000 * 30 / 365 * 0.8  # trailing 30 days are well populated


def test_status_resolution_and_payout_rules(built: Path) -> None:
    violations = _one(
        built,
        f"""
        SELECT
          count(*) FILTER (WHERE claim_status IN ('fulfilled','denied','cancelled')
                           AND (resolved_at IS NULL OR resolved_at <= created_at)),
          count(*) FILTER (WHERE claim_status NOT IN ('fulfilled','denied','cancelled')
                           AND resolved_at IS NOT NULL),
          count(*) FILTER (WHERE (claim_status = 'fulfilled') <> (payout_amount IS NOT NULL)),
          count(*) FILTER (WHERE payout_amount <= 0 OR deductible_amount <= 0),
          count(*) FILTER (WHERE resolved_at >= TIMESTAMP '{ANCHOR} 00:00:00')
        FROM {QUALIFIED_TABLE}
        """,
    )
    assert violations == (0, 0, 0, 0, 0)


def test_distributions_are_realistic(built: Path) -> None:
    statuses = dict(_all(built, f"SELECT claim_status, count(*) FROM {QUALIFIED_TABLE} GROUP BY 1"))
    assert set(statuses) == {"filed", "in_review", "approved", "denied", "fulfilled", "cancelled"}
    assert max(statuses, key=statuses.__getitem__) == "fulfilled"
    assert statuses["fulfilled"] > 0.5 * 5000
    for column, expected in [
        ("product_name", {p for p, _ in generate.PRODUCTS}),
        ("region", {r for r, _ in generate.REGIONS}),
        ("channel", {c for c, _ in generate.CHANNELS}),
        ("loss_type", {t for t, _ in generate.LOSS_TYPES}),
    ]:
        values = {row[0] for row in _all(built, f"SELECT DISTINCT {column} FROM {QUALIFIED_TABLE}")}
        assert values == expected, column
    # device make/model pairs belong to the product's category
    pairs = _all(
        built, f"SELECT DISTINCT product_name, device_make, device_model FROM {QUALIFIED_TABLE}"
    )
    for product, make, model in pairs:
        category = generate.PRODUCT_CATEGORY[product]
        assert (make, model) in {(d[0], d[1]) for d in generate.DEVICES[category]}
    # recent claims are more often still open than old ones
    open_recent, open_old = _one(
        built,
        f"""
        SELECT
          avg(CASE WHEN claim_status IN ('filed','in_review','approved') THEN 1 ELSE 0 END)
            FILTER (WHERE created_at >= TIMESTAMP '{ANCHOR}' - INTERVAL 3 DAY),
          avg(CASE WHEN claim_status IN ('filed','in_review','approved') THEN 1 ELSE 0 END)
            FILTER (WHERE created_at < TIMESTAMP '{ANCHOR}' - INTERVAL 60 DAY)
        FROM {QUALIFIED_TABLE}
        """,
    )
    assert open_recent > open_old


def test_meta_records_params(built: Path) -> None:
    meta = read_meta(built)
    assert meta is not None
    assert meta["rows"] == "5000"
    assert meta["seed"] == "7"
    assert meta["anchor_day"] == ANCHOR.isoformat()


def test_ensure_builds_only_when_params_change(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ensure_local_warehouse_report(settings, anchor_day=ANCHOR)
    assert first.built and first.path == settings.warehouse_path
    assert first.path.exists()
    mtime = first.path.stat().st_mtime_ns
    again = ensure_local_warehouse_report(settings, anchor_day=ANCHOR)
    assert not again.built
    assert first.path.stat().st_mtime_ns == mtime

    moved = ensure_local_warehouse_report(settings, anchor_day=ANCHOR + dt.timedelta(days=1))
    assert moved.built

    monkeypatch.setenv("WAREHOUSE_ROWS", "6000")
    get_settings.cache_clear()
    bigger = get_settings()
    path = ensure_local_warehouse(bigger, anchor_day=ANCHOR + dt.timedelta(days=1))
    assert _one(path, f"SELECT count(*) FROM {QUALIFIED_TABLE}")[0] == 6000
    assert not ensure_local_warehouse_report(bigger, anchor_day=ANCHOR + dt.timedelta(days=1)).built


def test_corrupt_file_is_rebuilt(settings: Settings) -> None:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    settings.warehouse_path.write_bytes(b"not a duckdb file" * 100)
    report = ensure_local_warehouse_report(settings, anchor_day=ANCHOR)
    assert report.built
    assert _one(report.path, f"SELECT count(*) FROM {QUALIFIED_TABLE}")[0] == 5000


def test_failed_build_leaves_previous_file_and_no_temp(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ensure_local_warehouse(settings, anchor_day=ANCHOR)
    before = _one(path, CHECKSUM_SQL)

    def broken_sql(params: WarehouseParams) -> str:
        return f"INSERT INTO {QUALIFIED_TABLE} SELECT * FROM no_such_table"

    monkeypatch.setattr(generate, "build_sql", broken_sql)
    with pytest.raises(duckdb.Error):
        ensure_local_warehouse(settings, anchor_day=ANCHOR + dt.timedelta(days=2))
    assert _one(path, CHECKSUM_SQL) == before
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith((".tmp", ".tmp.wal"))]
    assert leftovers == []


def test_weighted_case_covers_all_choices() -> None:
    sql = generate._weighted_case("u", [("a", 1), ("b", 1), ("c", 2)])
    with contextlib.closing(duckdb.connect()) as conn:
        picks = [
            conn.execute(f"SELECT {sql} FROM (SELECT {u}::DOUBLE AS u)").fetchone()[0]
            for u in (0.0, 0.2499, 0.25, 0.4999, 0.5, 0.9999)
        ]
    assert picks == ["a", "a", "b", "b", "c", "c"]

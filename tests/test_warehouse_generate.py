"""The local warehouse build: deterministic history, row counts, distributions, rebuild rules."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from command_center import business as biz
from command_center.ops.state_machine import CLAIM_STATUSES
from command_center.settings import Settings, get_settings
from command_center.warehouse import generate
from command_center.warehouse.generate import (
    QUALIFIED_TABLE,
    HistoryParams,
    connect_readonly,
    ensure_local_warehouse,
    ensure_local_warehouse_report,
    history_sql,
    read_meta,
)
from command_center.warehouse.store import current_snapshot

BOUNDARY = dt.datetime(2025, 6, 15, 8, 30)
CHECKSUM_SQL = f"""
SELECT count(*), sum(hash(claim_id, customer_id, product_name, plan_tier, claim_status,
    loss_type, region, channel, device_make, device_model, created_at, resolved_at,
    payout_amount, deductible_amount) % 1000000007)
FROM {QUALIFIED_TABLE}
"""


def _history(path: Path, params: HistoryParams) -> Path:
    with contextlib.closing(duckdb.connect(str(path))) as conn:
        conn.execute(generate.DDL)
        conn.execute(history_sql(params))
    return path


def _params(**changes: object) -> HistoryParams:
    values: dict = {
        "rows": 5000, "seed": 7, "boundary": BOUNDARY, "customers": 2000, "retention_days": 45
    }  # fmt: skip
    return HistoryParams(**(values | changes))


def _one(path: Path, sql: str) -> tuple:
    with contextlib.closing(connect_readonly(path)) as conn:
        return conn.execute(sql).fetchone()


def _all(path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(connect_readonly(path)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _history(tmp_path_factory.mktemp("wh") / "a.duckdb", _params())


def test_same_params_give_identical_data(built: Path, tmp_path: Path) -> None:
    other = _history(tmp_path / "b.duckdb", _params())
    assert _one(built, CHECKSUM_SQL) == _one(other, CHECKSUM_SQL)
    first = _all(built, f"SELECT * FROM {QUALIFIED_TABLE} ORDER BY claim_id LIMIT 50")
    second = _all(other, f"SELECT * FROM {QUALIFIED_TABLE} ORDER BY claim_id LIMIT 50")
    assert first == second


def test_other_seed_or_boundary_changes_data(built: Path, tmp_path: Path) -> None:
    reseeded = _history(tmp_path / "seed.duckdb", _params(seed=8))
    assert _one(built, CHECKSUM_SQL) != _one(reseeded, CHECKSUM_SQL)
    later = BOUNDARY + dt.timedelta(days=1)
    moved = _history(tmp_path / "b.duckdb", _params(boundary=later))
    assert _one(moved, f"SELECT max(created_at) FROM {QUALIFIED_TABLE}")[0] < later


def test_row_count_ids_and_span_follow_the_business_rate(built: Path) -> None:
    count, distinct, first, last = _one(
        built,
        f"SELECT count(*), count(DISTINCT claim_id), min(created_at), max(created_at) "
        f"FROM {QUALIFIED_TABLE}",
    )
    assert count == distinct == 5000
    days = _params().days
    assert abs(days - 5000 / biz.claims_per_day(2000)) <= 1
    assert BOUNDARY - dt.timedelta(days=days + 1) <= first and last < BOUNDARY
    per_day = _one(
        built,
        f"SELECT count(*) FROM {QUALIFIED_TABLE} "
        f"WHERE created_at >= TIMESTAMP '{BOUNDARY}' - INTERVAL 30 DAY",
    )[0]
    assert 0.7 < per_day / 30 / biz.claims_per_day(2000) < 1.3  # the same rate as the OLTP seed


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
          count(*) FILTER (WHERE payout_amount <= 0 OR deductible_amount <= 0)
        FROM {QUALIFIED_TABLE}
        """,
    )
    assert violations == (0, 0, 0, 0)


def test_vocabulary_is_the_business_description(built: Path) -> None:
    statuses = dict(_all(built, f"SELECT claim_status, count(*) FROM {QUALIFIED_TABLE} GROUP BY 1"))
    assert set(statuses) <= set(CLAIM_STATUSES)
    assert max(statuses, key=statuses.__getitem__) == "fulfilled"
    for column, expected in [
        ("product_name", {p.name for p in biz.PRODUCTS}),
        ("plan_tier", {p.tier for p in biz.PRODUCTS}),
        ("region", {r for r, _ in biz.REGIONS}),
        ("channel", {c for c, _ in biz.CHANNELS}),
        ("loss_type", {t for t, _ in biz.LOSS_TYPES}),
    ]:
        values = {row[0] for row in _all(built, f"SELECT DISTINCT {column} FROM {QUALIFIED_TABLE}")}
        assert values == expected, column
    pairs = _all(
        built, f"SELECT DISTINCT product_name, device_make, device_model FROM {QUALIFIED_TABLE}"
    )
    category = {p.name: p.category for p in biz.PRODUCTS}
    for product, make, model in pairs:
        assert (make, model) in {(d[0], d[1]) for d in biz.DEVICES[category[product]]}


def test_ensure_builds_only_when_inputs_change(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ensure_local_warehouse_report(settings)
    assert first.built and first.path == settings.warehouse_path
    assert current_snapshot(first.path) is not None
    mtime = first.path.stat().st_mtime_ns
    again = ensure_local_warehouse_report(settings)
    assert not again.built and first.path.stat().st_mtime_ns == mtime

    monkeypatch.setenv("WAREHOUSE_ROWS", "6000")
    get_settings.cache_clear()
    bigger = get_settings()
    path = ensure_local_warehouse(bigger)
    assert _one(path, f"SELECT count(*) FROM {QUALIFIED_TABLE}")[0] == 6000
    assert not ensure_local_warehouse_report(bigger).built
    meta = read_meta(path)
    assert meta is not None and meta["oltp"] == "none" and meta["history_rows"] == "6000"


def test_corrupt_file_is_rebuilt(settings: Settings) -> None:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    settings.warehouse_path.write_bytes(b"not a duckdb file" * 100)
    report = ensure_local_warehouse_report(settings)
    assert report.built
    assert _one(report.path, f"SELECT count(*) FROM {QUALIFIED_TABLE}")[0] == 5000


def test_failed_build_leaves_previous_file_and_no_temp(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ensure_local_warehouse(settings)
    before = _one(path, CHECKSUM_SQL)

    def broken_sql(params: HistoryParams) -> str:
        return f"INSERT INTO {QUALIFIED_TABLE} SELECT * FROM no_such_table"

    monkeypatch.setattr(generate, "history_sql", broken_sql)
    with pytest.raises(duckdb.Error):
        ensure_local_warehouse_report(settings, force=True)
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


def test_history_older_than_every_age_bucket_still_has_a_status(tmp_path: Path) -> None:
    """A sparse business (few customers, many rows) spans more days than the oldest status
    bucket's bound: those claims take the oldest bucket's mix (they were NULL: the build
    failed on the NOT NULL column)."""
    sparse = _history(tmp_path / "sparse.duckdb", _params(customers=1, rows=2000))
    statuses = _all(sparse, f"SELECT DISTINCT claim_status FROM {QUALIFIED_TABLE}")
    assert None not in {row[0] for row in statuses}
    assert _one(sparse, f"SELECT count(*) FROM {QUALIFIED_TABLE}")[0] == 2000

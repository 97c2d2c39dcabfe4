"""The metric compiler: its SQL runs on DuckDB and PostgreSQL and matches hand-written queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
import sqlglot
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from command_center.db.models import Claim, Customer, Device, IssueSession, Plan
from command_center.db.session import engine_for
from command_center.metrics.definitions import SEEDED_METRICS, seeded_metric
from command_center.sql.compiler import CompileError, compile_metric_sql, transpile_for
from command_center.sql.dictionary import load_dictionary
from command_center.sql.generator import GeneratedSql, generate_sql
from command_center.sql.intent import DataIntent
from command_center.sql.safety import SafetyError

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def naive(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=None) if value else None


CUSTOMERS = [
    dict(id=1, external_id="C1", name="Ann", email="a@x", region="east", segment="consumer"),
    dict(id=2, external_id="C2", name="Bo", email="b@x", region="west", segment="enterprise"),
]
PLANS = [
    dict(id=1, code="P1", name="Plus", tier="plus", monthly_premium=9.99, deductible=49.0),
]
DEVICES = [  # id, customer, plan, make, category, plan_status, registered, enrolled
    (1, 1, 1, "Apple", "phone", "active", ago(5), ago(4)),
    (2, 2, None, "Samsung", "phone", "none", ago(10), None),
    (3, 1, 1, "Apple", "tablet", "cancelled", ago(60), ago(50)),
    (4, 2, 1, "Google", "phone", "active", ago(2), ago(1)),
]
CLAIMS = [  # id, region, channel, loss_type, status, filed, decided, resolved, payout
    (1, "east", "app", "theft", "filed", ago(1), None, None, None),
    (2, "east", "web", "crack", "in_review", ago(3), None, None, None),
    (3, "west", "app", "crack", "approved", ago(5), ago(4), None, None),
    (4, "west", "phone", "theft", "fulfilled", ago(10), ago(9), ago(8), Decimal("200.00")),
    (5, "east", "app", "crack", "denied", ago(12), ago(11), ago(11), None),
    (6, "east", "app", "crack", "fulfilled", ago(45), ago(44), ago(40), Decimal("500.00")),
    (7, "west", "web", "liquid", "filed", ago(60), None, None, None),
    (8, "east", "app", "theft", "fulfilled", ago(20), ago(19), ago(18), Decimal("100.00")),
]
SESSIONS = [  # id, status, channel, topic, opened
    (1, "open", "app", "billing", ago(1)),
    (2, "escalated", "phone", "claim_status", ago(2)),
    (3, "resolved", "web", "billing", ago(3)),
    (4, "open", "app", "device_setup", ago(100)),
]
EV_CLAIM = [  # claim_id, product, status, region, channel, make, created
    ("A1", "Phone Protect", "approved", "east", "app", "Apple", ago(2)),
    ("A1", "Phone Protect", "approved", "east", "app", "Apple", ago(1)),
    ("A2", "Phone Protect", "filed", "west", "web", "Samsung", ago(5)),
    ("A3", "Home Tech", "denied", "east", "app", "Apple", ago(10)),
    ("A4", "Home Tech", "approved", "east", "phone", "Google", ago(40)),
    ("A5", "Multi-Device", "fulfilled", "west", "app", "Apple", ago(1)),
]

# Hand-written queries: `:cutoff` is NOW minus the window, bound as a parameter.
HAND_WRITTEN = {
    "open_claims": (
        "SELECT COUNT(*) FROM claims WHERE status IN ('filed', 'in_review', 'approved')",
        None,
    ),
    "claims_filed": ("SELECT COUNT(*) FROM claims WHERE filed_at >= :cutoff", 30),
    "approval_rate": (
        "SELECT SUM(CASE WHEN status <> 'denied' THEN 1 ELSE 0 END) * 1.0 / COUNT(*) FROM claims"
        " WHERE decided_at >= :cutoff AND status IN ('approved', 'fulfilled', 'denied')",
        30,
    ),
    "avg_payout": (
        "SELECT SUM(payout_amount) / COUNT(payout_amount) FROM claims"
        " WHERE resolved_at >= :cutoff AND payout_amount IS NOT NULL",
        30,
    ),
    "active_issue_sessions": (
        "SELECT COUNT(*) FROM issue_sessions WHERE status = 'open' OR status = 'escalated'",
        None,
    ),
    "devices_registered": ("SELECT COUNT(*) FROM devices WHERE registered_at >= :cutoff", 30),
    "plan_enrollments": ("SELECT COUNT(*) FROM devices WHERE enrolled_at >= :cutoff", 30),
    "claim_volume_l3_asurion": (
        "SELECT COUNT(*) FROM (SELECT DISTINCT claim_id FROM l3_asurion.ev_claim"
        " WHERE created_at >= :cutoff) d",
        30,
    ),
    "claims_by_product_l3_asurion": (
        "SELECT product_name, COUNT(DISTINCT claim_id) FROM l3_asurion.ev_claim"
        " WHERE created_at >= :cutoff GROUP BY product_name",
        30,
    ),
    "claim_status_mix_l3_asurion": (
        "SELECT claim_status, COUNT(DISTINCT claim_id) FROM l3_asurion.ev_claim"
        " WHERE created_at >= :cutoff GROUP BY claim_status",
        30,
    ),
}
EXPECTED = {
    "open_claims": 4,
    "claims_filed": 6,
    "approval_rate": 0.75,
    "avg_payout": 150,
    "active_issue_sessions": 3,
    "devices_registered": 3,
    "plan_enrollments": 2,
    "claim_volume_l3_asurion": 4,
    "claims_by_product_l3_asurion": {"Phone Protect": 2, "Home Tech": 1, "Multi-Device": 1},
    "claim_status_mix_l3_asurion": {"approved": 1, "filed": 1, "denied": 1, "fulfilled": 1},
}

# (metric, intent kwargs, expected rows in order) — dimension, filter, IN, window, injection
CASES = [
    (
        "claims_filed",
        dict(dimensions=["region"], filters={"channel": "app"}),
        [("east", 3), ("west", 1)],
    ),
    (
        "claims_filed",
        dict(dimensions=["region"], filters={"channel": ["app", "web"]}),
        [("east", 4), ("west", 1)],
    ),
    ("claims_filed", dict(window_days=7), [(3,)]),
    ("claims_filed", dict(window_days=100), [(8,)]),
    ("claims_filed", dict(filters={"status": "filed' OR '1'='1"}), [(0,)]),
    (
        "claims_by_product_l3_asurion",
        dict(filters={"region": "east"}),
        [("Home Tech", 1), ("Phone Protect", 1)],
    ),
    ("claim_volume_l3_asurion", dict(dimensions=["device_make"], limit=1), [("Apple", 3)]),
    (
        "open_claims",
        dict(dimensions=["region", "status"], filters={"region": "west"}),
        [("west", "approved", 1), ("west", "filed", 1)],
    ),
]

OLTP_DDL = """
CREATE TABLE customers (id INTEGER, external_id VARCHAR, name VARCHAR, email VARCHAR,
  region VARCHAR, segment VARCHAR, created_at TIMESTAMP);
CREATE TABLE plans (id INTEGER, code VARCHAR, name VARCHAR, tier VARCHAR,
  monthly_premium DECIMAL(10,2), deductible DECIMAL(10,2));
CREATE TABLE devices (id INTEGER, external_id VARCHAR, customer_id INTEGER, plan_id INTEGER,
  make VARCHAR, model VARCHAR, category VARCHAR, plan_status VARCHAR, registered_at TIMESTAMP,
  enrolled_at TIMESTAMP, plan_cancelled_at TIMESTAMP);
CREATE TABLE claims (id INTEGER, external_id VARCHAR, customer_id INTEGER, device_id INTEGER,
  status VARCHAR, loss_type VARCHAR, region VARCHAR, channel VARCHAR, filed_at TIMESTAMP,
  decided_at TIMESTAMP, resolved_at TIMESTAMP, payout_amount DECIMAL(10,2));
CREATE TABLE issue_sessions (id INTEGER, external_id VARCHAR, customer_id INTEGER,
  device_id INTEGER, claim_id INTEGER, status VARCHAR, channel VARCHAR, topic VARCHAR,
  opened_at TIMESTAMP, escalated_at TIMESTAMP, resolved_at TIMESTAMP);
"""
EV_CLAIM_DDL = """
CREATE SCHEMA l3_asurion;
CREATE TABLE l3_asurion.ev_claim (claim_id VARCHAR, customer_id VARCHAR, product_name VARCHAR,
  plan_tier VARCHAR, claim_status VARCHAR, loss_type VARCHAR, region VARCHAR, channel VARCHAR,
  device_make VARCHAR, device_model VARCHAR, created_at TIMESTAMP, resolved_at TIMESTAMP,
  payout_amount DECIMAL(10,2), deductible_amount DECIMAL(10,2));
"""


def _ev_rows() -> list[tuple]:
    return [
        (
            cid,
            "C1",
            product,
            "plus",
            status,
            "crack",
            region,
            channel,
            make,
            "X",
            naive(at),
            None,
            None,
            Decimal("49.00"),
        )
        for cid, product, status, region, channel, make, at in EV_CLAIM
    ]


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    for statement in (OLTP_DDL + EV_CLAIM_DDL).split(";"):
        if statement.strip():
            con.execute(statement)
    con.executemany(
        "INSERT INTO devices VALUES (?, ?, ?, ?, ?, 'M', ?, ?, ?, ?, NULL)",
        [
            (i, f"D{i}", c, p, mk, cat, st, naive(r), naive(e))
            for i, c, p, mk, cat, st, r, e in DEVICES
        ],
    )
    con.executemany(
        "INSERT INTO claims VALUES (?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (i, f"K{i}", st, lt, rg, ch, naive(f), naive(d), naive(r), pay)
            for i, rg, ch, lt, st, f, d, r, pay in CLAIMS
        ],
    )
    con.executemany(
        "INSERT INTO issue_sessions VALUES (?, ?, 1, NULL, NULL, ?, ?, ?, ?, NULL, NULL)",
        [(i, f"S{i}", st, ch, tp, naive(o)) for i, st, ch, tp, o in SESSIONS],
    )
    con.executemany(
        "INSERT INTO l3_asurion.ev_claim VALUES " + "(" + ", ".join("?" * 14) + ")", _ev_rows()
    )
    yield con
    con.close()


def _normalise(rows: list[tuple]) -> object:
    """Scalars for one-cell results, dicts for (key, value) rows; floats rounded."""

    def num(v: object) -> object:
        return round(float(v), 6) if isinstance(v, (int, float, Decimal)) else v

    if len(rows) == 1 and len(rows[0]) == 1:
        return num(rows[0][0])
    return {r[0]: num(r[1]) for r in rows}


def _duck_hand(con: duckdb.DuckDBPyConnection, metric_id: str) -> object:
    sql, window = HAND_WRITTEN[metric_id]
    params = {"cutoff": naive(ago(window))} if window else {}
    sql = sql.replace(":cutoff", "$cutoff")
    return _normalise(con.execute(sql, params).fetchall())


# The KPI-tile metrics (clock-anchored base filters) are proven against ops/kpis.py's own
# definitions on SQLite and PostgreSQL in tests/test_kpi_catalog_parity.py.
HAND_CHECKED = [m for m in SEEDED_METRICS if m.id in HAND_WRITTEN]


@pytest.mark.parametrize("metric", HAND_CHECKED, ids=lambda m: m.id)
def test_seeded_metric_on_duckdb_matches_hand_written(duck, metric) -> None:
    sql = transpile_for(compile_metric_sql(metric, DataIntent(metric=metric.id)), "duckdb")
    got = _normalise(duck.execute(sql).fetchall())
    assert got == _duck_hand(duck, metric.id)
    assert got == EXPECTED[metric.id]


@pytest.mark.parametrize(("metric_id", "kwargs", "expected"), CASES)
def test_dimension_filter_and_window_cases_on_duckdb(duck, metric_id, kwargs, expected) -> None:
    metric = seeded_metric(metric_id)
    sql = compile_metric_sql(metric, DataIntent(metric=metric_id, **kwargs))
    rows = duck.execute(transpile_for(sql, "duckdb")).fetchall()
    if len(expected[0]) > 1 and "limit" not in kwargs and len(kwargs.get("dimensions", [])) < 2:
        rows = sorted(rows, key=lambda r: (-r[-1], r[0]))  # ties: DESC order only on value
    elif len(kwargs.get("dimensions", [])) > 1:
        rows = sorted(rows)
    assert [tuple(r) for r in rows] == expected


def test_grouped_results_are_ordered_by_value_desc(duck) -> None:
    metric = seeded_metric("claims_by_product_l3_asurion")
    rows = duck.execute(
        transpile_for(compile_metric_sql(metric, DataIntent(metric=metric.id)), "duckdb")
    ).fetchall()
    assert rows[0] == ("Phone Protect", 2)
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)


def _load_postgres(pg_url: str) -> None:
    engine = engine_for(pg_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Customer(**c) for c in CUSTOMERS)
        session.add_all(Plan(**p) for p in PLANS)
        session.flush()
        session.add_all(
            Device(
                id=i,
                external_id=f"D{i}",
                customer_id=c,
                plan_id=p,
                make=mk,
                model="M",
                category=cat,
                plan_status=st,
                registered_at=r,
                enrolled_at=e,
            )
            for i, c, p, mk, cat, st, r, e in DEVICES
        )
        session.flush()
        session.add_all(
            Claim(
                id=i,
                external_id=f"K{i}",
                customer_id=1,
                device_id=1,
                status=st,
                loss_type=lt,
                region=rg,
                channel=ch,
                filed_at=f,
                decided_at=d,
                resolved_at=r,
                payout_amount=pay,
            )
            for i, rg, ch, lt, st, f, d, r, pay in CLAIMS
        )
        session.add_all(
            IssueSession(
                id=i,
                external_id=f"S{i}",
                customer_id=1,
                status=st,
                channel=ch,
                topic=tp,
                opened_at=o,
            )
            for i, st, ch, tp, o in SESSIONS
        )
        session.commit()
    with engine.begin() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'UTC'")
        for statement in EV_CLAIM_DDL.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        conn.execute(
            text(
                "INSERT INTO l3_asurion.ev_claim VALUES ("
                + ", ".join(f":p{i}" for i in range(14))
                + ")"
            ),
            [{f"p{i}": v for i, v in enumerate(row)} for row in _ev_rows()],
        )


def test_seeded_metrics_and_cases_on_postgres(pg_url: str) -> None:
    _load_postgres(pg_url)
    engine = engine_for(pg_url)
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'UTC'")
        for metric in HAND_CHECKED:
            sql = transpile_for(
                compile_metric_sql(metric, DataIntent(metric=metric.id)), "postgres"
            )
            got = _normalise([tuple(r) for r in conn.exec_driver_sql(sql).fetchall()])
            hand_sql, window = HAND_WRITTEN[metric.id]
            params = {"cutoff": ago(window)} if window else {}
            hand = _normalise([tuple(r) for r in conn.execute(text(hand_sql), params).fetchall()])
            assert got == hand == EXPECTED[metric.id], metric.id
        for metric_id, kwargs, expected in CASES:
            metric = seeded_metric(metric_id)
            sql = compile_metric_sql(metric, DataIntent(metric=metric_id, **kwargs))
            rows = [
                tuple(r) for r in conn.exec_driver_sql(transpile_for(sql, "postgres")).fetchall()
            ]
            if len(kwargs.get("dimensions", [])) > 1:
                rows = sorted(rows)
            elif len(expected[0]) > 1 and "limit" not in kwargs:
                rows = sorted(rows, key=lambda r: (-r[-1], r[0]))
            assert rows == expected, (metric_id, kwargs)
        generated = generate_sql(
            seeded_metric("claims_filed"),
            DataIntent(metric="claims_filed", dimensions=["channel"]),
            "postgres",
        )
        rows = conn.exec_driver_sql(generated.sql).fetchall()
        assert dict(rows) == {"app": 4, "web": 1, "phone": 1}


def test_unknown_dimension_and_filter_raise_compile_error() -> None:
    metric = seeded_metric("claims_filed")
    with pytest.raises(CompileError, match="payout_amount") as info:
        compile_metric_sql(metric, DataIntent(metric=metric.id, dimensions=["payout_amount"]))
    assert info.value.field == "dimensions" and info.value.name == "payout_amount"
    with pytest.raises(CompileError, match="customer_id") as info:
        compile_metric_sql(metric, DataIntent(metric=metric.id, filters={"customer_id": "1"}))
    assert info.value.field == "filters" and info.value.name == "customer_id"
    with pytest.raises(CompileError, match="open_claims"):
        compile_metric_sql(metric, DataIntent(metric="open_claims"))
    with pytest.raises(CompileError, match="empty"):
        compile_metric_sql(metric, DataIntent(metric=metric.id, filters={"region": []}))


def test_compiled_sql_shape_is_deterministic_databricks() -> None:
    metric = seeded_metric("claims_filed")
    intent = DataIntent(
        metric=metric.id, dimensions=["region"], filters={"channel": ["app", "web"]}, limit=5
    )
    sql = compile_metric_sql(metric, intent)
    assert sql == compile_metric_sql(metric, intent.model_copy())
    assert sql == (
        "SELECT region, COUNT(*) AS value FROM claims"
        " WHERE filed_at >= CURRENT_TIMESTAMP() - INTERVAL '30' DAY AND channel IN ('app', 'web')"
        " GROUP BY region ORDER BY value DESC LIMIT 5"
    )
    no_window = compile_metric_sql(seeded_metric("open_claims"), DataIntent(metric="open_claims"))
    assert "INTERVAL" not in no_window and "GROUP BY" not in no_window


def test_filter_values_are_literals_not_sql() -> None:
    metric = seeded_metric("claims_filed")
    evil = "x'); DROP TABLE claims; --"
    sql = compile_metric_sql(metric, DataIntent(metric=metric.id, filters={"region": evil}))
    tree = sqlglot.parse_one(sql, read="databricks")
    literals = [lit.this for lit in tree.find_all(sqlglot.exp.Literal) if lit.is_string]
    assert evil in literals
    assert len(sqlglot.parse(sql, read="databricks")) == 1


def test_transpile_for_backends() -> None:
    sql = (
        "SELECT COUNT(*) AS value FROM claims"
        " WHERE filed_at >= CURRENT_TIMESTAMP() - INTERVAL '30' DAY"
    )
    assert transpile_for(sql, "databricks") == sql
    assert "INTERVAL '30 DAY'" in transpile_for(sql, "postgres")
    assert "CURRENT_TIMESTAMP()" not in transpile_for(sql, "duckdb")


def test_generate_sql_gates_and_transpiles() -> None:
    metric = seeded_metric("claims_by_product_l3_asurion")
    generated = generate_sql(metric, DataIntent(metric=metric.id), "duckdb")
    assert isinstance(generated, GeneratedSql)
    assert generated.dialect == "duckdb" and generated.safety.passed
    assert generated.sql.endswith("LIMIT 5000")
    assert generated.generator == "compiler"


class _RogueLlm:
    name = "llm"

    def generate(self, metric, intent, dictionary) -> str:
        return "SELECT * FROM claims JOIN plans ON TRUE"


class _JoiningLlm:
    name = "llm"

    def generate(self, metric, intent, dictionary) -> str:
        return (
            "SELECT d.make, COUNT(*) AS value FROM claims c JOIN devices d ON c.device_id = d.id"
            " GROUP BY d.make LIMIT 100000"
        )


def test_generate_sql_with_a_custom_generator_uses_the_dictionary_allowlist() -> None:
    metric = seeded_metric("claims_filed")
    intent = DataIntent(metric=metric.id)
    with pytest.raises(SafetyError) as info:
        generate_sql(metric, intent, "postgres", generator=_RogueLlm())
    assert "table plans not allowed" in str(info.value)
    ok = generate_sql(
        metric, intent, "postgres", generator=_JoiningLlm(), dictionary=load_dictionary()
    )
    assert ok.generator == "llm" and ok.sql.endswith("LIMIT 5000")


def test_generation_log_rows(tmp_path, pg_url: str) -> None:
    from sqlmodel import select

    from command_center.db.models import SqlGenerationLog
    from command_center.db.session import make_engine
    from command_center.sql.generation_log import log_generation
    from command_center.sql.safety import check_sql

    for engine in (make_engine(f"sqlite:///{tmp_path / 'log.db'}"), engine_for(pg_url)):
        SQLModel.metadata.create_all(engine)
        metric = seeded_metric("claims_filed")
        with Session(engine) as session:
            ok = generate_sql(metric, DataIntent(metric=metric.id), "postgres", log_session=session)
            with pytest.raises(SafetyError):
                generate_sql(
                    metric,
                    DataIntent(metric=metric.id),
                    "postgres",
                    generator=_RogueLlm(),
                    log_session=session,
                )
            manual = log_generation(
                session,
                metric_id="adhoc",
                generator="test",
                input={"prompt": "hi"},
                sql="DELETE FROM claims",
                safety=check_sql("DELETE FROM claims", {"claims"}),
                backend="duckdb",
                duration_ms=1.5,
                row_count=0,
                error="x" * 5000,
            )
            assert manual.id is not None
            session.commit()
        with Session(engine) as session:
            rows = session.exec(select(SqlGenerationLog).order_by(SqlGenerationLog.id)).all()
        assert [(r.metric_id, r.generator, r.passed) for r in rows] == [
            ("claims_filed", "compiler", True),
            ("claims_filed", "llm", False),
            ("adhoc", "test", False),
        ]
        assert rows[0].sql == ok.sql and rows[0].input["metric"] == "claims_filed"
        assert rows[0].safety["passed"] is True and rows[0].duration_ms is not None
        assert rows[1].error and "table_allowlist" in {
            c["name"] for c in rows[1].safety["checks"] if not c["passed"]
        }
        assert rows[2].input == {"prompt": "hi"} and len(rows[2].error) == 2000
        engine.dispose()

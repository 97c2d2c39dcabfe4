"""Live-mode SQL generation by the fast-tier LLM: real boto3 against the local fake Converse
endpoint, the same safety gate as the compiler, the audit log, and no silent fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from command_center import resolver
from command_center.bootstrap import prepare
from command_center.db.models import SqlGenerationLog
from command_center.db.session import session_scope
from command_center.llm.errors import BuilderModeError
from command_center.metrics.definitions import seeded_metric
from command_center.resolver import resolve_widget_data
from command_center.settings import Settings, get_settings
from command_center.sql.compiler import CompileError
from command_center.sql.dictionary import load_dictionary
from command_center.sql.generator import CompilerGenerator, generate_sql
from command_center.sql.intent import DataIntent
from command_center.sql.llm_generator import (
    SQL_TOOL_NAME,
    LlmSqlGenerator,
    build_prompt,
    generator_name,
    reset_llm_cache,
    sql_generator_for,
)
from command_center.sql.safety import SafetyError
from command_center.warehouse import factory
from tests.api_helpers import assert_problem, prepared_client
from tests.fake_bedrock import FakeBedrock, tool_reply, use_fake_bedrock

WAREHOUSE_METRIC = "claims_by_product_l3_asurion"
INTENT = DataIntent(
    metric=WAREHOUSE_METRIC,
    dimensions=["product_name"],
    filters={"region": ["Northeast", "Midwest"], "channel": "app"},
)
# Same question as the compiler's SQL, written differently (alias, order of predicates).
LLM_SQL = (
    "SELECT c.product_name, COUNT(DISTINCT c.claim_id) AS value\n"
    "FROM l3_asurion.ev_claim AS c\n"
    "WHERE c.channel = 'app' AND c.region IN ('Northeast', 'Midwest')\n"
    "  AND c.created_at >= CURRENT_TIMESTAMP() - INTERVAL '30' DAY\n"
    "GROUP BY c.product_name ORDER BY value DESC"
)
SPEC = {
    "type": "chart",
    "chart_kind": "bar",
    "title": "Claims by product",
    "data_intent": INTENT.model_dump(mode="json"),
}


def _answer(sql: str, tables: list[str] | None = None, explanation: str = "Counts claims.") -> Any:
    tables = ["l3_asurion.ev_claim"] if tables is None else tables
    return tool_reply(
        SQL_TOOL_NAME, {"sql": sql, "tables_used": tables, "explanation": explanation}
    )


def _reset() -> None:
    factory.close_all()
    resolver.reset_caches()
    reset_llm_cache()


def _want_llm_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQL_GENERATOR=llm."""
    monkeypatch.setenv("SQL_GENERATOR", "llm")


@pytest.fixture
def prepared(settings_env: Path) -> Iterator[Settings]:
    """Migrated + seeded SQLite database and a small local DuckDB warehouse."""
    _reset()
    prepare(get_settings())
    yield get_settings()
    _reset()


@pytest.fixture
def live_llm(
    prepared: Settings, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """BUILDER_MODE=live, SQL_GENERATOR=llm, Bedrock at the fake endpoint, dummy AWS creds."""
    _want_llm_generator(monkeypatch)
    use_fake_bedrock(monkeypatch, fake, LLM_TIMEOUT_SECONDS="5", LLM_MAX_RETRIES="0")
    _reset()
    yield get_settings()
    _reset()


async def _logs() -> list[SqlGenerationLog]:
    await resolver.drain_background()
    with session_scope() as session:
        return list(session.exec(select(SqlGenerationLog).order_by(SqlGenerationLog.id)).all())


async def _run(sql: str, settings: Settings) -> list[dict[str, Any]]:
    """Rows of `sql` on the local warehouse, sorted (ORDER BY value DESC leaves ties free)."""
    result = await factory.warehouse_for("databricks", settings).query(sql)
    return _sorted(result.rows)


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((dict(row) for row in rows), key=lambda row: sorted(row.items()))


# --------------------------------------------------------------------------- selection


def test_selector_is_the_compiler_unless_live_and_llm(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert generator_name(get_settings()) == "compiler"
    _want_llm_generator(monkeypatch)  # requested, but BUILDER_MODE=offline
    get_settings.cache_clear()
    assert generator_name(get_settings()) == "compiler"
    assert isinstance(sql_generator_for(get_settings()), CompilerGenerator)
    monkeypatch.setenv("BUILDER_MODE", "live")
    get_settings.cache_clear()
    assert generator_name(get_settings()) == "llm"
    assert isinstance(sql_generator_for(get_settings()), LlmSqlGenerator)
    reset_llm_cache()


async def test_offline_mode_uses_the_compiler_even_with_sql_generator_llm(
    prepared: Settings, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", fake.url)
    _want_llm_generator(monkeypatch)
    get_settings.cache_clear()
    data = await resolve_widget_data("w-offline", SPEC, settings=get_settings())
    assert data.rows and fake.requests == []
    assert [(log.generator, log.passed) for log in await _logs()] == [("compiler", True)]


def test_prompt_carries_metric_intent_dictionary_and_rules() -> None:
    metric = seeded_metric("claims_filed")
    intent = DataIntent(metric="claims_filed", dimensions=["day"], filters={"region": "West"})
    prompt = build_prompt(metric, intent, load_dictionary())
    for needle in ("COUNT(*) AS value", "filed_at", "CAST(filed_at AS DATE) AS day",
                   "region = 'West'", "INTERVAL '30' DAY", "claims.device_id = devices.id",
                   "table customers", "table devices"):  # fmt: skip
        assert needle in prompt, needle
    assert "table events" not in prompt and "table plans" not in prompt  # not joinable


# --------------------------------------------------------------------------- live LLM


async def test_llm_sql_passes_the_gate_and_matches_the_compiler(
    live_llm: Settings, fake: FakeBedrock
) -> None:
    metric = seeded_metric(WAREHOUSE_METRIC)
    fake.script(_answer(LLM_SQL))
    generator = sql_generator_for(live_llm)
    assert isinstance(generator, LlmSqlGenerator)
    generated = generate_sql(metric, INTENT, "duckdb", generator=generator)
    assert generated.generator == "llm" and generated.safety.passed
    assert generated.source_sql == LLM_SQL and "LIMIT 5000" in generated.sql
    compiled = generate_sql(metric, INTENT, "duckdb")
    assert compiled.sql != generated.sql  # really a different query text
    expected = await _run(compiled.sql, live_llm)
    assert expected and await _run(generated.sql, live_llm) == expected
    assert generator.last_output and generator.last_output.explanation == "Counts claims."

    (request,) = fake.requests
    assert request["model_id"] == live_llm.bedrock_model_id  # the fast tier
    assert request["body"]["toolConfig"]["toolChoice"] == {"tool": {"name": SQL_TOOL_NAME}}
    prompt = request["body"]["messages"][0]["content"][0]["text"]
    assert "COUNT(DISTINCT claim_id) AS value" in prompt and "'Midwest'" in prompt


async def test_resolver_uses_the_llm_and_logs_it(live_llm: Settings, fake: FakeBedrock) -> None:
    fake.script(_answer(LLM_SQL))
    data = await resolve_widget_data("w-llm", SPEC, settings=live_llm)
    compiled = generate_sql(seeded_metric(WAREHOUSE_METRIC), INTENT, "duckdb")
    assert _sorted(data.rows) == await _run(compiled.sql, live_llm)
    assert "AS c" in data.sql or " c." in data.sql  # the LLM's query ran, not the compiler's
    (log,) = await _logs()
    assert (log.generator, log.passed, log.row_count) == ("llm", True, len(data.rows))


@pytest.mark.parametrize(
    ("sql", "failed_check"),
    [
        ("SELECT COUNT(*) AS value FROM customers", "table_allowlist"),
        ("DELETE FROM l3_asurion.ev_claim WHERE claim_id IS NOT NULL", "select_only"),
        (
            "SELECT product_name, COUNT(*) AS value FROM l3_asurion.ev_claim "
            "GROUP BY product_name; DELETE FROM l3_asurion.ev_claim",
            "single_statement",
        ),
    ],
)
def test_unsafe_llm_sql_is_rejected_by_the_gate_and_logged(
    live_llm: Settings, fake: FakeBedrock, sql: str, failed_check: str
) -> None:
    fake.script(_answer(sql))  # tables_used lies: it claims only the allowed table
    with session_scope() as session, pytest.raises(SafetyError) as caught:
        try:
            generate_sql(
                seeded_metric(WAREHOUSE_METRIC),
                INTENT,
                "duckdb",
                generator=sql_generator_for(live_llm),
                log_session=session,
            )
        finally:
            session.commit()
    assert not caught.value.result.passed and failed_check in caught.value.result.failed
    with session_scope() as session:
        (log,) = session.exec(select(SqlGenerationLog)).all()
    assert (log.generator, log.passed) == ("llm", False)
    assert log.sql == sql  # the rejected SQL is kept for the audit


async def test_resolver_rejects_a_delete_and_logs_it(live_llm: Settings, fake: FakeBedrock) -> None:
    fake.script(_answer("DELETE FROM l3_asurion.ev_claim"))
    with pytest.raises(SafetyError):
        await resolve_widget_data("w-delete", SPEC, settings=live_llm)
    (log,) = await _logs()
    assert (log.generator, log.passed, log.sql) == ("llm", False, "DELETE FROM l3_asurion.ev_claim")
    rows = await _run("SELECT COUNT(*) AS n FROM l3_asurion.ev_claim", live_llm)
    assert rows[0]["n"] == live_llm.warehouse_rows


async def test_invalid_output_is_typed_and_never_falls_back(
    live_llm: Settings, fake: FakeBedrock
) -> None:
    bad = tool_reply(SQL_TOOL_NAME, {"sql": "   ", "explanation": "forgot tables_used"})
    fake.script(bad, bad)
    with pytest.raises(BuilderModeError) as caught:
        await resolve_widget_data("w-bad", SPEC, settings=live_llm)
    assert caught.value.kind == "invalid_output"
    assert len(fake.requests) == 2  # one repair round, then the typed error
    (log,) = await _logs()
    assert (log.generator, log.passed, log.row_count) == ("llm", False, None)
    assert "invalid_output" in (log.error or "")
    # nothing was cached: the next read asks the model again instead of serving compiler rows
    fake.script(_answer(LLM_SQL))
    data = await resolve_widget_data("w-bad", SPEC, settings=live_llm)
    assert data.cached is False and len(fake.requests) == 3


def test_a_bad_intent_fails_before_any_llm_call(live_llm: Settings, fake: FakeBedrock) -> None:
    intent = DataIntent(metric=WAREHOUSE_METRIC, dimensions=["password_hash"])
    with pytest.raises(CompileError):
        generate_sql(
            seeded_metric(WAREHOUSE_METRIC), intent, "duckdb", generator=sql_generator_for(live_llm)
        )
    assert fake.requests == []


def test_tables_used_outside_the_allowlist_is_flagged_but_the_gate_decides(
    live_llm: Settings, fake: FakeBedrock
) -> None:
    fake.script(_answer(LLM_SQL, tables=["l3_asurion.ev_claim", "Customers"]))
    generator = sql_generator_for(live_llm)
    assert isinstance(generator, LlmSqlGenerator)
    generated = generate_sql(seeded_metric(WAREHOUSE_METRIC), INTENT, "duckdb", generator=generator)
    assert generated.safety.passed  # the SQL itself reads only the allowed table
    assert generator.warnings and "customers" in generator.warnings[0]


# --------------------------------------------------------------------------- API


@pytest.fixture
def live_client(live_llm: Settings) -> Iterator[TestClient]:
    yield from prepared_client()


def test_api_generate_returns_the_llm_sql_and_explanation(
    live_client: TestClient, fake: FakeBedrock
) -> None:
    fake.script(_answer(LLM_SQL, explanation="Distinct claims per product, app channel."))
    response = live_client.post(
        "/v1/sql/generate",
        json={"metric_id": WAREHOUSE_METRIC, "data_intent": SPEC["data_intent"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["generator"] == "llm" and body["dialect"] == "duckdb"
    assert body["explanation"] == "Distinct claims per product, app channel."
    assert body["safety"]["passed"] and " c." in body["sql"]
    with session_scope() as session:
        logs = session.exec(select(SqlGenerationLog)).all()
    assert [(row.generator, row.passed) for row in logs] == [("llm", True)]


def test_api_generate_rejection_and_llm_failure_are_problems(
    live_client: TestClient, fake: FakeBedrock
) -> None:
    payload = {"metric_id": WAREHOUSE_METRIC, "data_intent": SPEC["data_intent"]}
    fake.script(_answer("SELECT * FROM claims"))
    body = assert_problem(live_client.post("/v1/sql/generate", json=payload), 422)
    assert body["generator"] == "llm" and "table_allowlist" in str(body["safety"])
    bad = tool_reply(SQL_TOOL_NAME, {"tables_used": []})
    fake.script(bad, bad)
    body = assert_problem(live_client.post("/v1/sql/generate", json=payload), 502)
    assert body["kind"] == "invalid_output" and body["generator"] == "llm"
    with session_scope() as session:
        logs = session.exec(select(SqlGenerationLog).order_by(SqlGenerationLog.id)).all()
    assert [(row.generator, row.passed, bool(row.error)) for row in logs] == [
        ("llm", False, True),
        ("llm", False, True),
    ]


def test_api_generate_offline_reports_the_compiler(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _want_llm_generator(monkeypatch)
    get_settings.cache_clear()
    for client in prepared_client():
        response = client.post("/v1/sql/generate", json={"metric_id": WAREHOUSE_METRIC})
        assert response.status_code == 200, response.text
        assert response.json()["generator"] == "compiler"
        assert "explanation" not in response.json()

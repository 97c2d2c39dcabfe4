"""SQL generation: a generator (deterministic compiler by default) behind the safety gate."""

from __future__ import annotations

import time
from typing import Protocol

from pydantic import BaseModel
from sqlmodel import Session

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.compiler import SOURCE_DIALECT, SqlBackend, compile_metric_sql
from command_center.sql.dictionary import DataDictionary, load_dictionary
from command_center.sql.generation_log import log_generation
from command_center.sql.intent import DataIntentLike
from command_center.sql.safety import DEFAULT_LIMIT, SafetyError, SafetyResult, check_sql


class SqlGenerator(Protocol):
    """Turns a metric + intent into one Databricks-dialect SELECT (e.g. an LLM client)."""

    name: str

    def generate(
        self, metric: MetricDefinition, intent: DataIntentLike, dictionary: DataDictionary
    ) -> str: ...


class CompilerGenerator:
    """The default generator: the deterministic metric compiler."""

    name = "compiler"

    def generate(
        self, metric: MetricDefinition, intent: DataIntentLike, dictionary: DataDictionary
    ) -> str:
        """Compile with `compile_metric_sql` (the dictionary is not needed)."""
        return compile_metric_sql(metric, intent)


class GeneratedSql(BaseModel):
    """Gate-approved SQL in the backend's dialect, with the safety verdict behind it."""

    sql: str
    dialect: SqlBackend
    safety: SafetyResult
    generator: str = "compiler"
    source_sql: str = ""


def generate_sql(
    metric: MetricDefinition,
    intent: DataIntentLike,
    backend: SqlBackend,
    *,
    generator: SqlGenerator | None = None,
    dictionary: DataDictionary | None = None,
    limit: int = DEFAULT_LIMIT,
    log_session: Session | None = None,
) -> GeneratedSql:
    """Generate SQL for `metric`/`intent`, gate it, and transpile it for `backend`.

    The generator (default: `CompilerGenerator`) writes Databricks SQL; the gate allows the
    metric's source table plus the tables joinable to it in the data dictionary, checks every
    column against the dictionary, transpiles to `backend` and re-checks that final text. Raises
    `SafetyError` when the gate rejects the SQL and `CompileError` for a bad intent. With
    `log_session`, a `SqlGenerationLog` row is added for passes and rejections alike.
    """
    generator = generator or CompilerGenerator()
    dictionary = dictionary or load_dictionary()
    started = time.perf_counter()
    source_sql = generator.generate(metric, intent, dictionary)
    safety = check_sql(
        source_sql,
        dictionary.allowed_tables_for(metric.source_table),
        dialect=SOURCE_DIALECT,
        limit=limit,
        known_tables=dictionary.tables.keys(),
        dictionary=dictionary,
        target=backend,
    )
    sql = safety.sql if safety.passed and safety.sql else ""
    if log_session is not None:
        log_generation(
            log_session,
            metric_id=metric.id,
            generator=generator.name,
            input=_intent_dict(intent),
            sql=sql or source_sql,
            safety=safety,
            backend=backend,
            duration_ms=(time.perf_counter() - started) * 1000,
            error=None if safety.passed else "rejected by safety gate",
        )
    if not safety.passed:
        raise SafetyError(safety)
    return GeneratedSql(
        sql=sql, dialect=backend, safety=safety, generator=generator.name, source_sql=source_sql
    )


def _intent_dict(intent: DataIntentLike) -> dict:
    if hasattr(intent, "model_dump"):
        return intent.model_dump(mode="json")  # type: ignore[no-any-return]
    fields = ("metric", "dimensions", "filters", "window_days", "limit")
    return {name: getattr(intent, name, None) for name in fields}

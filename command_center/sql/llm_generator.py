"""Live-mode SQL generation by the fast-tier LLM, and the generator selector.

The LLM writes Databricks SQL for a catalog metric + data intent, given the data dictionary
entries of the tables the metric may read; `generate_sql` then runs it through exactly the
same safety gate (and audit log) as the compiler's SQL. Live mode never falls back to the
compiler: a Bedrock failure or unusable output is a typed `BuilderModeError`.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, field_validator

from command_center.metrics.definitions import MetricDefinition
from command_center.settings import Settings, get_settings
from command_center.sql.compiler import (
    TIME_GRAINS,
    axis_column,
    bucket_sql,
    compile_metric_expression,
    default_window,
    time_grain,
)
from command_center.sql.dictionary import DataDictionary
from command_center.sql.generator import CompilerGenerator, SqlGenerator
from command_center.sql.intent import DataIntentLike

log = logging.getLogger(__name__)

SQL_TOOL_NAME = "emit_metric_sql"
GeneratorName = Literal["compiler", "llm"]


class GeneratedSqlOutput(BaseModel):
    """The tool input the fast-tier model must return."""

    sql: str = Field(description="One SELECT statement in the Databricks SQL dialect.")
    tables_used: list[str] = Field(description="Every table the SELECT reads, schema-qualified.")
    explanation: str = Field(description="One or two sentences on how the SQL answers the ask.")

    @field_validator("sql")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("sql must not be empty")
        return value.strip()


class StructuredLLM(Protocol):
    """The part of `BedrockLLM` this module uses (forced-tool structured output)."""

    def structured(
        self,
        tier: Any,
        prompt: str,
        tool_name: str,
        schema: dict[str, Any],
        parse: Any,
        description: str = "",
    ) -> Any: ...


def _dimensions(metric: MetricDefinition, intent: DataIntentLike) -> list[str]:
    return list(intent.dimensions) or list(metric.default_dimensions)


def _metric_text(metric: MetricDefinition) -> str:
    window = f"{metric.window_days} days" if metric.window_days else "all time"
    return (
        "Metric (from the catalog):\n"
        f"- id: {metric.id}\n- label: {metric.label}\n- description: {metric.description}\n"
        f"- source table: {metric.source_table}\n- measure: {metric.measure}\n"
        f"- time column: {metric.time_column or '(none: current state, no window)'}\n"
        f"- default window: {window}\n"
        f"- base filter: {metric.base_filter or '(none)'}\n"
        f"- dimensions: {', '.join(metric.dimensions) or '(none)'}"
    )


def _absolute_range(intent: DataIntentLike) -> tuple[str, str] | None:
    """The intent's validated absolute range as ISO days (start, day after end), or None."""
    start, end = getattr(intent, "start", None), getattr(intent, "end", None)
    if not isinstance(start, date) or not isinstance(end, date):
        return None
    return start.isoformat()[:10], (end + timedelta(days=1)).isoformat()[:10]


def _window_days(metric: MetricDefinition, intent: DataIntentLike) -> int | None:
    return intent.window_days or default_window(metric, time_grain(list(intent.dimensions)))


def _intent_text(metric: MetricDefinition, intent: DataIntentLike) -> str:
    dims = _dimensions(metric, intent)
    window_days = _window_days(metric, intent)
    filters = "; ".join(f"{col} = {val!r}" for col, val in sorted(intent.filters.items()))
    window = f"last {window_days} days" if window_days else "all time"
    if absolute := _absolute_range(intent):
        window = f"from {absolute[0]} up to (not including) {absolute[1]}"
    joined = [n for n in [*dims, *intent.filters] if "." in n]
    note = (  # a dimension one declared join away (command_center/sql/joins.py)
        f"- {', '.join(joined)}: a column of a joined table; LEFT JOIN it on its allowed join "
        "and select it AS `table.column` (quoted)\n"
        if joined
        else ""
    )
    return (
        "Requested data:\n"
        f"- group by: {', '.join(dims) or '(nothing: one total row)'}\n"
        f"{note}"
        f"- filters: {filters or '(none)'}\n"
        f"- window: {window}\n"
        f"- row limit: {intent.limit if intent.limit is not None else '(none)'}"
    )


def _dictionary_text(allowed: set[str], dictionary: DataDictionary) -> str:
    lines = ["Data dictionary (the only tables you may read):"]
    for table in sorted(allowed):
        info = dictionary.tables.get(table)
        lines.append(f"- table {table}: {info.description if info else ''}")
        for column in dictionary.columns.get(table, {}).values():
            synonyms = f" (also called: {', '.join(column.synonyms)})" if column.synonyms else ""
            lines.append(f"    {column.column} {column.type}: {column.description}{synonyms}")
    joins = [j for j in dictionary.joins if j.left_table in allowed and j.right_table in allowed]
    if joins:
        lines.append("Allowed joins:")
        lines.extend(f"- {j.on()}" for j in joins)
    return "\n".join(lines)


def _rules_text(metric: MetricDefinition, intent: DataIntentLike, allowed: set[str]) -> str:
    window_days = _window_days(metric, intent)
    axis = axis_column(metric, intent)
    grains = "; ".join(f"{g!r} means `{bucket_sql(g, axis)} AS {g}`" for g in TIME_GRAINS)
    rules = [
        "Write exactly one SELECT statement in the Databricks SQL dialect: no semicolon, "
        "no INSERT/UPDATE/DELETE/MERGE/DDL, no SELECT INTO, no table-valued functions, "
        "no ${...} variables, no user-defined functions.",
        f"Read only these tables, spelled exactly so: {', '.join(sorted(allowed))}. "
        "Never name a CTE like a table.",
        f"Select each group-by column under its own name, then `{metric.measure} AS value`.",
        f"The group-by names of a time series, when asked for: {grains}.",
        "Use every filter literally: `column = 'value'` for one value, "
        "`column IN ('a', 'b')` for a list; values are string literals exactly as given.",
        "GROUP BY the group-by columns; ORDER BY the time series name ascending when grouping "
        "by one, otherwise by value descending.",
    ]
    if absolute := _absolute_range(intent):
        rules.append(
            f"Apply the date range exactly as `{axis} >= CAST('{absolute[0]}' AS "
            f"DATE) AND {axis} < CAST('{absolute[1]}' AS DATE)`."
        )
    elif window_days:
        rules.append(
            f"Apply the window exactly as `{axis} >= CURRENT_TIMESTAMP() - "
            f"INTERVAL '{int(window_days)}' DAY`."
        )
    if axis != metric.time_column:
        rules.append(f"Keep only rows where `{axis} IS NOT NULL` (the event happened).")
    if metric.base_filter.strip():
        rules.append(f"Always apply the base filter `({metric.base_filter})`.")
    if intent.limit is not None:
        rules.append(f"End with LIMIT {int(intent.limit)}.")
    rules.append("List in tables_used every table the SELECT reads.")
    return "Rules:\n" + "\n".join(f"{i}. {rule}" for i, rule in enumerate(rules, 1))


def build_prompt(
    metric: MetricDefinition, intent: DataIntentLike, dictionary: DataDictionary
) -> str:
    """The fast-tier prompt: metric definition, intent, dictionary entries and rules."""
    allowed = dictionary.allowed_tables_for(metric.source_table)
    return "\n\n".join(
        [
            _metric_text(metric),
            _intent_text(metric, intent),
            _dictionary_text(allowed, dictionary),
            _rules_text(metric, intent, allowed),
            f"Answer by calling {SQL_TOOL_NAME}.",
        ]
    )


def _table_key(name: str) -> str:
    return ".".join(part.strip().strip('`"').lower() for part in name.split("."))


class LlmSqlGenerator:
    """`SqlGenerator` backed by the fast-tier LLM (Bedrock Converse, forced tool).

    Use one instance per generation: `last_output` and `warnings` describe the latest call.
    """

    name = "llm"

    def __init__(self, llm: StructuredLLM | None = None, settings: Settings | None = None) -> None:
        if llm is None:
            from command_center.llm.bedrock import BedrockLLM

            llm = BedrockLLM(settings or get_settings())
        self.llm = llm
        self.last_output: GeneratedSqlOutput | None = None
        self.warnings: list[str] = []

    def generate(
        self, metric: MetricDefinition, intent: DataIntentLike, dictionary: DataDictionary
    ) -> str:
        """Ask the fast tier for the SQL (Databricks dialect); the gate runs afterwards.

        Raises `CompileError` for an unknown dimension/filter (before any LLM call) and
        `BuilderModeError` when Bedrock fails or the output is invalid twice.
        """
        return self.generate_output(metric, intent, dictionary).sql

    def generate_output(
        self, metric: MetricDefinition, intent: DataIntentLike, dictionary: DataDictionary
    ) -> GeneratedSqlOutput:
        """As `generate`, returning `{sql, tables_used, explanation}`."""
        compile_metric_expression(metric, intent)  # same intent validation as the compiler
        output: GeneratedSqlOutput = self.llm.structured(
            "fast",
            build_prompt(metric, intent, dictionary),
            SQL_TOOL_NAME,
            GeneratedSqlOutput.model_json_schema(),
            GeneratedSqlOutput.model_validate,
            description="Return the SQL for the metric and the tables it reads.",
        )
        allowed = dictionary.allowed_tables_for(metric.source_table)
        outside = sorted({_table_key(t) for t in output.tables_used} - allowed)
        self.warnings = []
        if outside:  # a sanity check only: the safety gate decides on the SQL itself
            warning = f"tables_used names tables outside the allowlist: {', '.join(outside)}"
            log.warning("llm sql for %s: %s", metric.id, warning)
            self.warnings.append(warning)
        self.last_output = output
        return output


def generator_name(settings: Settings | None = None) -> GeneratorName:
    """`llm` only when BUILDER_MODE=live and SQL_GENERATOR=llm; otherwise `compiler`."""
    settings = settings or get_settings()
    wanted = settings.sql_generator
    live = str(getattr(settings.builder_mode, "value", settings.builder_mode)) == "live"
    return "llm" if live and wanted == "llm" else "compiler"


_llms: dict[tuple[Any, ...], Any] = {}
_llms_lock = threading.Lock()


def _shared_llm(settings: Settings) -> Any:
    """One `BedrockLLM` (and boto3 client, created under a lock) per Bedrock configuration."""
    from command_center.llm.bedrock import BedrockLLM

    key = (
        settings.aws_region,
        settings.bedrock_endpoint_url,
        settings.bedrock_model_id,
        settings.bedrock_reasoning_model_id,
        settings.llm_timeout_seconds,
        settings.llm_max_retries,
    )
    with _llms_lock:
        llm = _llms.get(key)
        if llm is None:
            if len(_llms) >= 4:
                _llms.clear()
            llm = BedrockLLM(settings)
            _ = llm.client  # boto3 client creation is not thread-safe; do it here
            _llms[key] = llm
        return llm


def reset_llm_cache() -> None:
    """Forget the shared Bedrock clients (tests, settings changes)."""
    with _llms_lock:
        _llms.clear()


def sql_generator_for(settings: Settings | None = None) -> SqlGenerator:
    """The generator to use: a fresh `LlmSqlGenerator` in live mode with SQL_GENERATOR=llm,
    else the deterministic `CompilerGenerator` (offline mode always uses the compiler)."""
    settings = settings or get_settings()
    if generator_name(settings) == "llm":
        return LlmSqlGenerator(_shared_llm(settings))
    return CompilerGenerator()

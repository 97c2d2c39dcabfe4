"""One SQL-generation service for `/v1/sql/generate` and the resolver.

The metric's route picks the warehouse (so its dialect and its backend name), the configured
generator (the compiler, or the fast-tier LLM in live mode) writes SQL, the safety gate
checks and transpiles it, and every attempt is audited in `sql_generation_log` under the
warehouse's name — the same name whichever entry point asked.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

from pydantic import BaseModel

from command_center.metrics.definitions import MetricDefinition
from command_center.settings import Settings, get_settings
from command_center.sql.generator import GeneratedSql, SqlGenerator
from command_center.sql.intent import DataIntent
from command_center.sql.safety import SafetyResult

_SQL_MEMO_SIZE = 512
_sql_memo: OrderedDict[tuple[str, str, str], GeneratedSql] = OrderedDict()
_background_tasks: set[asyncio.Task] = set()


def reset_sql_memo() -> None:
    """Forget the compiler's memoised SQL (tests, settings changes)."""
    _sql_memo.clear()


def in_background(coroutine: Coroutine[Any, Any, Any]) -> None:
    """Run an audit write off the response path, keeping a reference until it is done."""
    task = asyncio.ensure_future(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


async def drain_background() -> None:
    """Wait for this event loop's pending audit writes (tests, shutdown)."""
    loop = asyncio.get_running_loop()
    while pending := [task for task in _background_tasks if task.get_loop() is loop]:
        await asyncio.gather(*pending, return_exceptions=True)


def warehouse_for_metric(metric: MetricDefinition, settings: Settings | None = None) -> Any:
    """The warehouse the metric's route names (its `dialect` and `name` are used below)."""
    from command_center.resolver import route_for
    from command_center.warehouse.factory import warehouse_for

    return warehouse_for(route_for(metric).backend, settings or get_settings())


def audit(
    metric: MetricDefinition,
    intent: BaseModel,
    safety: SafetyResult,
    sql: str,
    backend: str,
    started: float,
    row_count: int | None,
    error: str | None,
    *,
    generator: str = "compiler",
) -> Coroutine[Any, Any, None]:
    """One `sql_generation_log` row, as a coroutine: await it, or hand it to `in_background`."""
    from command_center.db.session import session_scope
    from command_center.sql.generation_log import log_generation

    elapsed = (time.perf_counter() - started) * 1000
    document = intent.model_dump(mode="json")

    def write() -> None:
        with session_scope() as session:
            log_generation(
                session,
                metric_id=metric.id,
                generator=generator,
                input=document,
                sql=sql or safety.sql or "",
                safety=safety,
                backend=backend,
                duration_ms=elapsed,
                row_count=row_count,
                error=error,
            )

    return asyncio.to_thread(write)


async def _generate(
    metric: MetricDefinition, intent: DataIntent, dialect: str, generator: SqlGenerator
) -> GeneratedSql:
    """`generate_sql` with `generator`; the compiler's output is memoised (deterministic in
    metric, intent and dialect), the LLM's never is: each miss asks the model again."""
    from command_center.sql.generator import generate_sql

    memoise = generator.name == "compiler"
    key = (metric.model_dump_json(), intent.model_dump_json(), dialect)
    generated = _sql_memo.get(key) if memoise else None
    if generated is not None:
        _sql_memo.move_to_end(key)
        return generated
    generated = await asyncio.to_thread(
        generate_sql,
        metric,
        intent,
        dialect,  # type: ignore[arg-type]
        generator=generator,
    )
    if memoise:
        _sql_memo[key] = generated
        while len(_sql_memo) > _SQL_MEMO_SIZE:
            _sql_memo.popitem(last=False)
    return generated


async def gated_sql(
    metric: MetricDefinition,
    intent: DataIntent,
    warehouse: Any,
    *,
    settings: Settings | None = None,
    wait_audit: bool = False,
) -> tuple[GeneratedSql, SqlGenerator]:
    """Generate and gate the metric's SQL for `warehouse` with the configured generator.

    A rejection (`SafetyError`) or an LLM failure (`BuilderModeError`) is audited under
    `warehouse.name` and re-raised — never replaced by the compiler's SQL. The caller audits
    a success (with the row count once it ran the query). `wait_audit` awaits the failure's
    audit row instead of writing it in the background.
    """
    from command_center.llm.errors import BuilderModeError
    from command_center.sql.llm_generator import generator_name, sql_generator_for
    from command_center.sql.safety import SafetyError

    started = time.perf_counter()
    settings = settings or get_settings()
    if generator_name(settings) == "compiler":
        generator = sql_generator_for(settings)
    else:  # the first call builds the boto3 client: keep that off the event loop
        generator = await asyncio.to_thread(sql_generator_for, settings)
    failure: Coroutine[Any, Any, None] | None = None
    try:
        return await _generate(metric, intent, warehouse.dialect, generator), generator
    except SafetyError as exc:
        rejected = getattr(getattr(generator, "last_output", None), "sql", "")
        failure = audit(metric, intent, exc.result, rejected, warehouse.name, started, None,
                        "rejected by safety gate", generator=generator.name)  # fmt: skip
        raise
    except BuilderModeError as exc:
        failure = audit(metric, intent, SafetyResult(passed=False), "", warehouse.name, started,
                        None, f"llm {exc}", generator=generator.name)  # fmt: skip
        raise
    finally:
        if failure is not None:
            if wait_audit:
                await failure
            else:
                in_background(failure)

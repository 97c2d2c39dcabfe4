"""`/v1/sql`: generate gated SQL for a catalog metric, or validate an analyst's SQL."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from command_center.api.auth import require_token
from command_center.api.problems import (
    PROBLEM_MEDIA_TYPE,
    ProblemError,
    problem,
    validation_problem,
)
from command_center.llm.errors import BuilderModeError
from command_center.metrics.catalog import UnknownMetric, get_metric
from command_center.metrics.definitions import MetricDefinition
from command_center.settings import get_settings
from command_center.sql.compiler import CompileError
from command_center.sql.dictionary import load_dictionary
from command_center.sql.intent import DataIntent
from command_center.sql.llm_generator import generator_name
from command_center.sql.safety import SafetyError, check_sql
from command_center.sql.service import audit, gated_sql, warehouse_for_metric

router = APIRouter(prefix="/sql", tags=["sql"])


class GenerateRequest(BaseModel):
    """A metric id and what the widget wants of it."""

    metric_id: str = Field(min_length=1, max_length=80)
    data_intent: dict[str, Any] = Field(default_factory=dict, max_length=20)


class ValidateRequest(BaseModel):
    """SQL to check against the allowlist of `metric_id`'s source table."""

    sql: str = Field(min_length=1, max_length=100_000)
    metric_id: str = Field(min_length=1, max_length=80)


def _metric(metric_id: str) -> MetricDefinition:
    try:
        return get_metric(metric_id)
    except UnknownMetric:
        raise ProblemError(
            404, "Unknown metric", f"no metric {metric_id!r} in the catalog", field="metric_id"
        ) from None


def _problem_args(document: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in document.items() if k not in {"type", "title", "status", "detail"}}
    return {
        "status": document["status"],
        "title": document["title"],
        "detail": document.get("detail", ""),
        **extra,
    }


@router.post("/generate", dependencies=[Depends(require_token)])
async def generate(body: GenerateRequest) -> dict[str, Any]:
    """Generate SQL for the metric + intent (compiler, or the fast-tier LLM in live mode with
    SQL_GENERATOR=llm), gate it and return `{sql, dialect, safety, generator}` plus the
    LLM's `explanation`. Every attempt is logged in `sql_generation_log`."""
    metric = await asyncio.to_thread(_metric, body.metric_id)
    try:
        intent = DataIntent.model_validate({**body.data_intent, "metric": metric.id})
    except ValidationError as exc:
        document = validation_problem(
            [{**e, "loc": ("data_intent", *e["loc"])} for e in exc.errors()]
        )
        raise ProblemError(**_problem_args(document)) from None
    settings = get_settings()
    warehouse = await asyncio.to_thread(warehouse_for_metric, metric, settings)
    started = time.perf_counter()
    generator_used = generator_name(settings)
    try:
        generated, generator = await gated_sql(
            metric, intent, warehouse, settings=settings, wait_audit=True
        )
    except CompileError as exc:
        raise ProblemError(
            422, "Cannot compile", str(exc), field=f"data_intent.{exc.field}" if exc.field else None
        ) from None
    except SafetyError as exc:
        raise ProblemError(
            422,
            "Rejected by the safety gate",
            str(exc),
            safety=exc.result.model_dump(),
            generator=generator_used,
        ) from None
    except BuilderModeError as exc:
        raise ProblemError(
            504 if exc.kind == "timeout" else 502,
            f"SQL generator {exc.kind} error",
            exc.message,
            kind=exc.kind,
            generator=generator_used,
            builder_mode=exc.builder_mode,
        ) from None
    await audit(metric, intent, generated.safety, generated.sql, warehouse.name, started, None,
                None, generator=generated.generator)  # fmt: skip
    response: dict[str, Any] = {
        "sql": generated.sql,
        "dialect": generated.dialect,
        "safety": generated.safety,
        "generator": generated.generator,
    }
    output = getattr(generator, "last_output", None)
    if output is not None:
        response["explanation"] = output.explanation
    return response


@router.post("/validate", dependencies=[Depends(require_token)])
async def validate(body: ValidateRequest) -> JSONResponse:
    """Run the safety gate on any SQL (Databricks dialect) exactly as a widget query would run:
    against the metric's tables and the data dictionary, transpiled to the metric's backend
    dialect and re-checked there. 200 with every check and the final SQL when it passes; 422
    when not — naming the limit (`limit`) when the query was too large to parse."""
    metric = await asyncio.to_thread(_metric, body.metric_id)
    dictionary = load_dictionary()
    warehouse = await asyncio.to_thread(warehouse_for_metric, metric, get_settings())
    target = warehouse.dialect
    result = await asyncio.to_thread(  # bounded before parsing; off the event loop anyway
        check_sql,
        body.sql,
        dictionary.allowed_tables_for(metric.source_table),
        known_tables=dictionary.tables.keys(),
        dictionary=dictionary,
        target=target,
    )
    if result.passed:
        return JSONResponse(result.model_dump())
    failed = ", ".join(result.failed)
    title, detail, extra = "Rejected by the safety gate", f"failed checks: {failed}", {}
    if result.exceeded is not None:
        limit = result.exceeded
        title = f"SQL exceeds the {limit.name} limit"
        detail = f"{detail} ({result.checks[0].detail})"
        extra["limit"] = limit.model_dump()
    return JSONResponse(
        problem(422, title, detail, **result.model_dump(), **extra),
        status_code=422,
        media_type=PROBLEM_MEDIA_TYPE,
    )

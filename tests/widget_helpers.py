"""Shared helpers for the widget-builder tests (not a test module)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from langgraph.checkpoint.memory import InMemorySaver

from command_center.llm.base import BuilderLLM
from command_center.llm.offline import OfflineLLM
from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.compose import base_constraints, measure_sql, rate_measure
from command_center.widgets.checkpoint import Checkpointer
from command_center.widgets.context import load_dictionary, seeded_catalog
from command_center.widgets.runner import ClarifierEvent, ClarifierRunner

LABELLED_PATH = Path(__file__).parent / "data" / "clarifier_labelled.yaml"


def memory_runner(llm: BuilderLLM | None = None, **kwargs: Any) -> ClarifierRunner:
    """A runner on an in-memory checkpointer with the seeded catalog."""
    return ClarifierRunner(
        llm=llm or OfflineLLM(),
        checkpointer=kwargs.pop("checkpointer", None)
        or Checkpointer(InMemorySaver(), lambda: None, "memory"),
        catalog_loader=kwargs.pop("catalog_loader", seeded_catalog),
        dictionary=load_dictionary(),
        values=kwargs.pop("values", seeded_values),
        **kwargs,
    )


async def collect(events: Any) -> list[ClarifierEvent]:
    """Drain an event iterator."""
    return [event async for event in events]


def by_name(events: list[ClarifierEvent], name: str) -> list[dict[str, Any]]:
    """Payloads of the events called `name`."""
    return [event.data for event in events if event.name == name]


def load_labelled() -> list[dict[str, Any]]:
    """The labelled request set."""
    return yaml.safe_load(LABELLED_PATH.read_text())


def _norm_sql(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


def _definition(metric_id: str, composed: dict[str, Any] | None) -> dict[str, Any] | None:
    """(table, measure, base filter, time column) of a composed definition, a catalog id, or a
    label's composed id `<agg>_<column|rows>_<table with dots as _>` or
    `rate_<column>_<value>_<table with dots as _>`."""
    if composed:
        return composed
    for metric in seeded_catalog():
        if metric.id == metric_id:
            return metric.model_dump()
    dictionary = load_dictionary()
    for table in sorted(dictionary.tables, key=len, reverse=True):
        suffix = "_" + table.replace(".", "_")
        if not metric_id.endswith(suffix):
            continue
        head = metric_id[: -len(suffix)]
        if head.startswith("rate_"):  # rate_<column>_<value>: the share of rows with that value
            return _rate_definition(table, head[len("rate_") :])
        for agg in ("count_distinct", "count", "sum", "avg", "min", "max"):
            if head.startswith(agg + "_"):
                column = head[len(agg) + 1 :]
                column = None if column == "rows" else column
                return {
                    "source_table": table,
                    "measure": measure_sql(agg.upper(), column),
                    "base_filter": "",
                }
    return None


def _rate_definition(table: str, rest: str) -> dict[str, Any] | None:
    """A label's `rate_<column>_<value>_<table>`: the value as the data spells it."""
    for column in sorted(load_dictionary().columns_of(table), key=len, reverse=True):
        if not rest.startswith(column + "_"):
            continue
        slug = rest[len(column) + 1 :]
        for value in seeded_values().get((table, column), []):
            if re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_") == slug:
                measure = rate_measure(column, value)
                return {"source_table": table, "measure": measure, "base_filter": ""}
    return None


def metric_signature(
    metric_id: str,
    composed: dict[str, Any] | None = None,
    filters: dict[str, Any] | None = None,
    period: str | None = None,
) -> tuple[Any, ...]:
    """What a metric with these filters and calendar period computes: (table, measure, the
    rest of its base filter, the values each constrained column may take, "today" when it
    counts only the current day).

    Labelling conventions: two metrics that compute the same thing are the same answer (the
    warehouse's three distinct-claim counts; "claims in review" as the claims count filtered
    to in_review or the open-claims count filtered to in_review; "claims today" as the
    today-only catalog count or the claims count over the period `today`).
    """
    definition = _definition(metric_id, composed)
    if definition is None:
        return (metric_id, tuple(sorted(_value_map(filters).items())))
    metric = MetricDefinition.model_construct(**definition)
    limits = base_constraints(metric) if definition.get("base_filter") else {}
    rest = _norm_sql(definition.get("base_filter", ""))
    day = "today" if period == "today" else None
    if rest and rest == _norm_sql(f"{definition.get('time_column')} >= CURRENT_DATE"):
        rest, day = "", "today"  # a base filter that is only the current day is the period
    if limits:
        conjuncts = len(re.split(r"\bAND\b", rest))
        rest = "" if conjuncts == len(limits) else rest
    allowed = {col: set(values) for col, values in limits.items()}
    for col, values in _value_map(filters).items():
        allowed[col] = allowed[col] & values if col in allowed else values
    constraint = tuple(sorted((col, tuple(sorted(v))) for col, v in allowed.items()))
    table = definition["source_table"]
    return (table, _norm_sql(definition["measure"]), rest, constraint, day)


def _values(value: Any) -> set[str]:
    return {str(v) for v in (value if isinstance(value, list) else [value])}


def _value_map(mapping: dict[str, Any] | None) -> dict[str, set[str]]:
    return {str(k): _values(v) for k, v in (mapping or {}).items()}


# the question fields that mean the same thing to the label writer: `clarify` covers
# "names something the data does not contain", which the builder asks as a `filter` question
# (an unknown value) or a `clarify` one
_ASK_EQUIVALENT = {"clarify": {"clarify", "filter"}}


def outcome_matches(item: dict[str, Any], events: list[ClarifierEvent]) -> tuple[bool, str]:
    """Compare one clarifier run with its label; returns (ok, what differed).

    Compared when the label has them: type, metric (by what it computes, see
    `metric_signature`), dimensions, chart_kind, filters and exclude (a one-value list equals
    the value), window_days (rolling: no calendar period), period, limit, sort, time_column.
    """
    questions = by_name(events, "questions")
    if "ask" in item:
        if not questions:
            results = by_name(events, "result")
            spec = (results[-1].get("spec") or {}) if results else {}
            if item["ask"] == "widget_type" and spec.get("type") == "custom":
                # "wants something no KPI/chart/table draws": a custom component answers it
                return True, "custom component"
            return False, "expected a question, got a spec"
        field = questions[0]["questions"][0]["field"]
        ok = field in _ASK_EQUIVALENT.get(item["ask"], {item["ask"]})
        return ok, f"asked {field}, expected {item['ask']}"
    if questions:
        return False, f"asked {questions[0]['questions'][0]['field']} unexpectedly"
    results = by_name(events, "result")
    if not results or not results[-1]["spec"]:
        return False, f"no spec (events: {[e.name for e in events]})"
    result = results[-1]
    spec = result["spec"]
    intent = spec["data_intent"]
    metric = intent.get("metric", "")  # none: a custom widget's records intent
    diffs = []
    composed = result.get("promote_metric")
    same = metric_signature(
        metric, composed, intent.get("filters"), intent.get("period")
    ) == metric_signature(item.get("metric", ""), None, item.get("filters"), item.get("period"))
    if "metric" in item and metric != item["metric"] and not same:
        diffs.append(f"metric: got {metric!r}, expected {item['metric']!r}")
    got = {
        "type": spec["type"],
        "dimensions": intent.get("dimensions"),
        "chart_kind": spec.get("chart_kind"),
        "window_days": intent.get("window_days"),
        "period": intent.get("period"),
        "limit": intent.get("limit"),
        "sort": intent.get("sort"),
        "time_column": intent.get("time_column"),
    }
    for key in ("type", "dimensions", "chart_kind", "period", "limit", "sort", "time_column"):
        if key in item and got[key] != item[key]:
            diffs.append(f"{key}: got {got[key]!r}, expected {item[key]!r}")
    rolling = "window_days" in item and "period" not in item
    if rolling and (got["window_days"] != item["window_days"] or got["period"]):
        window = f"{got['window_days']!r}/{got['period']!r}"
        diffs.append(f"window: got {window}, expected {item['window_days']!r} days")
    for key in ("exclude", *(() if same else ("filters",))):
        if key in item and _value_map(intent.get(key)) != _value_map(item[key]):
            diffs.append(f"{key}: got {intent.get(key)!r}, expected {item[key]!r}")
    return not diffs, "; ".join(diffs)


_VALUES: dict[str, Any] = {}


def seeded_values() -> dict[tuple[str, str], list[str]]:
    """Known values read (once per process) from a freshly seeded SQLite OLTP database and a
    small local warehouse, exactly as the app reads them at start."""
    if "values" not in _VALUES:
        import asyncio
        import tempfile

        from command_center.db.migrate import upgrade_to_head
        from command_center.db.seed import seed_demo
        from command_center.db.session import engine_for
        from command_center.semantic.values import read_known_values
        from command_center.settings import Settings
        from command_center.warehouse.factory import build_warehouse
        from command_center.warehouse.generate import ensure_local_warehouse

        root = Path(tempfile.mkdtemp(prefix="cc-values-"))
        url = f"sqlite:///{root / 'oltp.db'}"
        settings = Settings(data_dir=root, database_url=url, warehouse_rows=5000)
        upgrade_to_head(url)
        seed_demo(engine_for(url), customers=2000)
        ensure_local_warehouse(settings, engine=engine_for(url))
        warehouses = {b: build_warehouse(b, settings) for b in ("postgres", "databricks")}

        async def read() -> dict[tuple[str, str], list[str]]:
            from unittest import mock

            with mock.patch(
                "command_center.warehouse.factory.warehouse_for",
                lambda backend, _settings=None: warehouses[backend],
            ):
                return await read_known_values(settings=settings)

        _VALUES["values"] = asyncio.run(read())
        _VALUES["url"] = url
        _VALUES["root"] = root
        for warehouse in warehouses.values():
            warehouse.close()
    return _VALUES["values"]

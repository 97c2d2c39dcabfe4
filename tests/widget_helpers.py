"""Shared helpers for the widget-builder tests (not a test module)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from langgraph.checkpoint.memory import InMemorySaver

from command_center.semantic.compose import measure_sql
from command_center.widgets.checkpoint import Checkpointer
from command_center.widgets.context import load_dictionary, seeded_catalog
from command_center.widgets.llm.base import BuilderLLM
from command_center.widgets.llm.offline import OfflineLLM
from command_center.widgets.runner import ClarifierEvent, ClarifierRunner

LABELLED_PATH = Path(__file__).parent / "data" / "clarifier_labelled.yaml"


def memory_runner(llm: BuilderLLM | None = None, **kwargs: Any) -> ClarifierRunner:
    """A runner on an in-memory checkpointer with the seeded catalog."""
    return ClarifierRunner(
        llm=llm or OfflineLLM(),
        checkpointer=Checkpointer(InMemorySaver(), lambda: None, "memory"),
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


def metric_signature(metric_id: str, composed: dict[str, Any] | None = None) -> tuple[str, ...]:
    """What a metric computes: (table, measure, base filter), from the composed definition, a
    catalog id, or a label's composed id `<agg>_<column|rows>_<table with dots as _>`.

    Labelling convention: two metrics that compute the same thing (same table, measure and
    base filter — e.g. the warehouse's three distinct-claim counts) are the same answer.
    """
    if composed:
        return (
            composed["source_table"],
            _norm_sql(composed["measure"]),
            _norm_sql(composed.get("base_filter", "")),
        )
    for metric in seeded_catalog():
        if metric.id == metric_id:
            return (metric.source_table, _norm_sql(metric.measure), _norm_sql(metric.base_filter))
    dictionary = load_dictionary()
    for table in sorted(dictionary.tables, key=len, reverse=True):
        suffix = "_" + table.replace(".", "_")
        if not metric_id.endswith(suffix):
            continue
        head = metric_id[: -len(suffix)]
        for agg in ("count_distinct", "count", "sum", "avg", "min", "max"):
            if head.startswith(agg + "_"):
                column = head[len(agg) + 1 :]
                column = None if column == "rows" else column
                return (table, _norm_sql(measure_sql(agg.upper(), column)), "")
    return (metric_id,)


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
    the value), window_days (rolling: no calendar period), period, limit, sort.
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
    diffs = []
    if "metric" in item:
        composed = result.get("promote_metric")
        if intent["metric"] != item["metric"] and metric_signature(
            intent["metric"], composed
        ) != metric_signature(item["metric"]):
            diffs.append(f"metric: got {intent['metric']!r}, expected {item['metric']!r}")
    got = {
        "type": spec["type"],
        "dimensions": intent.get("dimensions"),
        "chart_kind": spec.get("chart_kind"),
        "window_days": intent.get("window_days"),
        "period": intent.get("period"),
        "limit": intent.get("limit"),
        "sort": intent.get("sort"),
    }
    for key in ("type", "dimensions", "chart_kind", "period", "limit", "sort"):
        if key in item and got[key] != item[key]:
            diffs.append(f"{key}: got {got[key]!r}, expected {item[key]!r}")
    rolling = "window_days" in item and "period" not in item
    if rolling and (got["window_days"] != item["window_days"] or got["period"]):
        window = f"{got['window_days']!r}/{got['period']!r}"
        diffs.append(f"window: got {window}, expected {item['window_days']!r} days")
    for key in ("filters", "exclude"):
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
        ensure_local_warehouse(settings)
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

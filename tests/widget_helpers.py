"""Shared helpers for the widget-builder tests (not a test module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from langgraph.checkpoint.memory import InMemorySaver

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


def outcome_matches(item: dict[str, Any], events: list[ClarifierEvent]) -> tuple[bool, str]:
    """Compare one clarifier run with its label; returns (ok, what differed)."""
    questions = by_name(events, "questions")
    if "ask" in item:
        if not questions:
            return False, "expected a question, got a spec"
        field = questions[0]["questions"][0]["field"]
        return field == item["ask"], f"asked {field}, expected {item['ask']}"
    if questions:
        return False, f"asked {questions[0]['questions'][0]['field']} unexpectedly"
    results = by_name(events, "result")
    if not results or not results[-1]["spec"]:
        return False, f"no spec (events: {[e.name for e in events]})"
    spec = results[-1]["spec"]
    intent = spec["data_intent"]
    got = {
        "type": spec["type"],
        "metric": intent["metric"],
        "dimensions": intent["dimensions"],
        "chart_kind": spec.get("chart_kind"),
        "filters": intent["filters"],
        "window_days": intent["window_days"],
    }
    diffs = [
        f"{key}: got {got[key]!r}, expected {item[key]!r}"
        for key in ("type", "metric", "dimensions", "chart_kind", "filters", "window_days")
        if key in item and got[key] != item[key]
    ]
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
        for warehouse in warehouses.values():
            warehouse.close()
    return _VALUES["values"]

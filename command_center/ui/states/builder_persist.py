"""Persist the builder's preview: the same service functions as `/v1` (no Reflex here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from command_center.ui.states.builder_views import promotion_candidate


def preview_to_persist(
    spec_data: dict[str, Any],
    result: Mapping[str, Any],
    thread_id: str,
    clarifier: Callable[[], Any],
) -> tuple[Any, Any]:
    """Blocking: the validated spec and the one-off metric to promote with it (or None);
    a composed metric comes from the result, or else from `clarifier()`'s thread snapshot."""
    from command_center.widgets.spec import parse_spec

    spec = parse_spec(spec_data)
    catalog: list[Mapping[str, Any]] = []
    if thread_id and not result.get("promote_metric"):
        try:
            catalog = list(clarifier().state(thread_id).get("catalog") or [])
        except Exception:  # no snapshot: persist decides against the live catalog alone
            catalog = []
    metric_id = getattr(spec.data_intent, "metric", None)
    promote = promotion_candidate(metric_id, result, catalog) if metric_id else None
    return spec, promote


async def persist_preview(
    spec_data: dict[str, Any],
    result: Mapping[str, Any],
    thread_id: str,
    *,
    clarifier: Callable[[], Any],
    editing: str = "",
    dashboard_id: int | None = None,
) -> str:
    """Add the spec to the dashboard (`dashboard_id`; the default one when None) or save it
    over widget `editing` — the same service functions as `/v1`. Returns the widget id."""
    from command_center.dashboards import widgets as actions

    spec, promote = await asyncio.to_thread(
        preview_to_persist, spec_data, result, thread_id, clarifier
    )
    if editing:
        return (await actions.update_widget(editing, spec))["id"]
    widget, _board = await actions.add_widget(
        spec, promote_metric=promote, dashboard_id=dashboard_id
    )
    return widget["id"]

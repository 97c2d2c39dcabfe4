"""What the widget refresher reads: a board with its widgets' specs, and one widget's view
under the dashboard's range and filters (the same services `/v1` calls)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from command_center.dashboards.filters import ViewChoice
from command_center.dashboards.view_data import widget_data_in_view
from command_center.sql.safety import SafetyError
from command_center.ui.view_models.widget_card import widget_view
from command_center.warehouse.errors import WarehouseError

Ordered = list[tuple[str, dict[str, Any]]]
log = logging.getLogger(__name__)


def card_error(exc: Exception) -> str:
    """What a widget card says about a failure: the product's own refusals (the safety
    gate, a spec or metric the data cannot serve) in their words; anything else, whose text
    may carry internals (hosts, paths, driver details), as a reference to the server log."""
    if isinstance(exc, (SafetyError, ValueError)) and str(exc).strip():
        return str(exc).strip().splitlines()[0][:300]
    ref = uuid.uuid4().hex[:8]
    log.error("widget data failed (ref %s)", ref, exc_info=exc)
    return f"Internal error while loading this widget's data (ref {ref}; details in the server log)"


def loading_view(widget_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A card waiting for its first data."""
    return widget_view(widget_id, spec, None, status="loading")


def read_board(dashboard_id: int) -> tuple[dict[str, Any], Ordered]:
    """Blocking: a board's shown fields and its widgets' specs in board order (a stale id:
    the default dashboard)."""
    from command_center.dashboards.service import DashboardError, list_dashboards, load_layout
    from command_center.widgets.persist import list_widgets

    try:
        board = load_layout(dashboard_id or None)
    except DashboardError:
        board = load_layout(None)
    specs = {w.id: dict(w.spec) for w in list_widgets()}
    info = {
        "dashboard_id": board.id,
        "dashboard_name": board.name,
        "dashboards": list_dashboards(),
        "layouts": board.layout.get("layouts", {}),
        "loaded": True,
    }
    return info, [(wid, specs[wid]) for wid in board.widget_ids if wid in specs]


async def resolve_view(
    widget_id: str, spec: dict[str, Any], choice: ViewChoice | None = None
) -> dict[str, Any]:
    """Resolve one widget under the dashboard's range and filters into its view; failures
    become a readable error view."""
    try:
        found = await widget_data_in_view(widget_id, spec, choice)
    except WarehouseError as exc:  # which warehouse, what kind of failure, the driver's words
        return widget_view(widget_id, spec, None, status="error", error=exc.describe()[:300])
    except Exception as exc:  # shown on the card, with a retry button
        return widget_view(widget_id, spec, None, status="error", error=card_error(exc))
    data, metric = found.data, found.metric
    return widget_view(
        widget_id,
        spec,
        data.rows,
        source=data.source,
        cached=data.cached,
        generated_at=data.generated_at,
        cached_at=data.cached_at,
        value_name=metric.label if metric else "",
        notes=found.notes,
        as_of=data.as_of,
    )

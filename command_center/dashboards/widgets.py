"""Dashboard widget actions — add, remove, restore, duplicate, edit — one service function
each, called by both the Reflex state and `/v1`.

Each writes the widget row, keeps the dashboards' layouts in step, drops stale cached data
and tells every tab (all processes) through a bus notice.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from command_center.dashboards import service
from command_center.metrics.definitions import MetricDefinition
from command_center.realtime import notices
from command_center.widgets import persist
from command_center.widgets.spec import AnyWidgetSpec, parse_spec


@dataclass
class RemovedWidget:
    """What `remove_widget` took away, enough for `restore_widget` to put it back."""

    id: str
    spec: dict[str, Any]
    dashboard_id: int | None
    places: dict[str, dict[str, int]] = field(default_factory=dict)
    promoted_metric: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape (the UI keeps it for undo)."""
        return asdict(self)


def cache_prefix(widget_id: str) -> str:
    """Every cached data key of one widget starts with this."""
    return f"widget:data:{widget_id}:"


async def _drop_cached(widget_id: str) -> None:
    from command_center.resolver import widget_cache

    await widget_cache().invalidate(cache_prefix(widget_id))


async def _changed(dashboard_id: int | None, widget_id: str, action: str) -> None:
    await notices.publish_notice(
        notices.WIDGETS, dashboard_id=dashboard_id, widget_id=widget_id, action=action
    )


async def add_widget(
    spec: AnyWidgetSpec,
    *,
    promote_metric: MetricDefinition | None = None,
    dashboard_id: int | None = None,
    widget_id: str | None = None,
    at: dict[str, dict[str, int]] | None = None,
    after: str | None = None,
) -> tuple[dict[str, Any], service.Board]:
    """Persist `spec` (promoting a one-off metric atomically) and place it on the dashboard
    (the default one when None). Raises `PersistError`, `DashboardError` (unknown board)."""
    if dashboard_id is not None:
        await asyncio.to_thread(service.load_layout, dashboard_id)  # 404 before writing
    widget = await asyncio.to_thread(
        persist.add_widget_to_dashboard,
        spec,
        promote_metric=promote_metric,
        widget_id=widget_id,
    )
    board = await asyncio.to_thread(
        service.place_widget, dashboard_id, widget.id, widget.type, at=at, after=after
    )
    await _changed(board.id, widget.id, "added")
    return persist.widget_to_dict(widget), board


async def remove_widget(widget_id: str) -> RemovedWidget | None:
    """Delete the widget, take it off its dashboard and drop its cached data; None when
    there was no such widget."""
    widget = await asyncio.to_thread(persist.get_widget, widget_id)
    if widget is None:
        return None
    promoted = await asyncio.to_thread(persist.promoted_metric, widget.metric_id)
    dashboard_id, places = await asyncio.to_thread(service.take_widget_off, widget_id)
    if not await asyncio.to_thread(persist.remove_widget, widget_id):
        return None
    await _drop_cached(widget_id)
    await _changed(dashboard_id, widget_id, "removed")
    return RemovedWidget(widget.id, dict(widget.spec), dashboard_id, places, promoted)


async def restore_widget(removed: dict[str, Any]) -> dict[str, Any]:
    """Undo a removal: the same id and spec, back in its old places (a promoted metric the
    removal dropped from the catalog is promoted again)."""
    spec = parse_spec(removed["spec"])
    promoted = removed.get("promoted_metric")
    widget, _board = await add_widget(
        spec,
        promote_metric=MetricDefinition.model_validate(promoted) if promoted else None,
        dashboard_id=removed.get("dashboard_id"),
        widget_id=str(removed["id"]),
        at=removed.get("places") or None,
    )
    return widget


async def duplicate_widget(widget_id: str, dashboard_id: int | None = None) -> dict[str, Any]:
    """A copy of the widget ("… (copy)") placed right after it."""
    widget = await asyncio.to_thread(persist.get_widget, widget_id)
    if widget is None:
        raise persist.PersistError(f"no widget {widget_id!r}", kind="unknown-widget")
    data = dict(widget.spec)
    data["title"] = f"{data.get('title', 'Widget')} (copy)"[:200]
    copy, _board = await add_widget(parse_spec(data), dashboard_id=dashboard_id, after=widget_id)
    return copy


async def update_widget(widget_id: str, spec: AnyWidgetSpec) -> dict[str, Any]:
    """Save an edited spec in place; its cached data is dropped."""
    widget = await asyncio.to_thread(persist.update_widget, widget_id, spec)
    await _drop_cached(widget_id)
    await _changed(None, widget_id, "updated")
    return persist.widget_to_dict(widget)

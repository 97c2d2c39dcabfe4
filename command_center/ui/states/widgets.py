"""Dashboard widgets: load, resolve live data, refresh each on its own cadence."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import reflex as rx

from command_center.resolver import resolve_widget_data
from command_center.ui.states.connection import client_connected
from command_center.ui.states.loops import single_loop
from command_center.warehouse.errors import WarehouseError
from command_center.widget_views import widget_view

GRACE_SECONDS = 30
RETRY_SECONDS = 2.0
log = logging.getLogger(__name__)


def _dashboard_specs() -> list[tuple[str, dict[str, Any]]]:
    from command_center.widgets.persist import list_widgets

    return [(w.id, dict(w.spec)) for w in list_widgets()]


async def resolve_view(widget_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Resolve one widget into its view; failures become a readable error view."""
    try:
        data = await resolve_widget_data(widget_id, spec)
    except WarehouseError as exc:  # which warehouse, what kind of failure, the driver's words
        return widget_view(widget_id, spec, None, status="error", error=exc.describe()[:300])
    except Exception as exc:  # shown on the card, with a retry button
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return widget_view(widget_id, spec, None, status="error", error=message[:300])
    return widget_view(
        widget_id,
        spec,
        data.rows,
        source=data.source,
        cached=data.cached,
        generated_at=data.generated_at,
    )


class WidgetsState(rx.State):
    """The dashboard's widget views; `_specs` stays on the server."""

    views: list[dict[str, Any]] = []
    loaded: bool = False
    _specs: dict[str, dict[str, Any]] = {}
    _force: set[str] = set()

    def _set_view(self, view: dict[str, Any]) -> None:
        self.views = [view if v["id"] == view["id"] else v for v in self.views]

    @rx.event
    def retry(self, widget_id: str) -> None:
        """Ask the refresh loop to re-resolve one widget now."""
        self._force = {*self._force, widget_id}
        self.views = [
            {**v, "status": "loading", "error": ""} if v["id"] == widget_id else v
            for v in self.views
        ]

    @rx.event(background=True)
    async def remove(self, widget_id: str):  # type: ignore[no-untyped-def]
        """Remove a widget from the dashboard; a failure is shown as a toast."""
        from command_center.resolver import widget_cache
        from command_center.widgets.persist import remove_widget

        try:
            await asyncio.to_thread(remove_widget, widget_id)
            await widget_cache().invalidate(f"widget:data:{widget_id}:")
        except Exception as exc:
            yield rx.toast.error(f"Could not remove the widget: {exc}")
            return
        async with self:
            self.views = [v for v in self.views if v["id"] != widget_id]
            self._specs.pop(widget_id, None)
            self._force = {*self._force, "*"}
        yield rx.toast.success("Widget removed")

    @rx.event
    def reload(self) -> None:
        """Re-read the widget list (after a widget was added)."""
        self._force = {"*"}

    @rx.event(background=True)
    async def run_refresh_loop(self) -> None:
        """One loop per tab: resolve due widgets concurrently, outside the state lock.

        Survives failures (the state manager being unreachable included) while the tab is
        connected: the cards keep their last data and refresh again when it is back.
        """
        token = self.router.session.client_token
        with single_loop("widget-refresh", token) as mine:
            if not mine:
                return
            while True:
                try:
                    await self._refresh_forever(token)
                    return
                except Exception as exc:
                    log.warning("widget refresh interrupted (%s); retrying", exc)
                    await asyncio.sleep(RETRY_SECONDS)
                    if not client_connected(token):
                        return

    async def _load_specs(self) -> dict[str, dict[str, Any]]:
        specs = dict(await asyncio.to_thread(_dashboard_specs))
        async with self:
            known = {v["id"]: v for v in self.views}
            self._specs = specs
            self.views = [
                known.get(wid) or widget_view(wid, spec, None, status="loading")
                for wid, spec in specs.items()
            ]
            self.loaded = True
        return specs

    async def _refresh_forever(self, token: str) -> None:
        specs = await self._load_specs()
        next_due: dict[str, float] = {}
        last_seen = time.monotonic()
        while True:
            now = time.monotonic()
            if client_connected(token):
                last_seen = now
            elif now - last_seen > GRACE_SECONDS:
                return
            async with self:
                forced, self._force = self._force, set()
            if "*" in forced:
                specs = await self._load_specs()
                forced = set(specs)
            due = [w for w in specs if w in forced or next_due.get(w, 0) <= now]
            if due:
                views = await asyncio.gather(*(resolve_view(w, specs[w]) for w in due))
                async with self:
                    for view in views:
                        self._set_view(view)
                for widget_id in due:
                    refresh = (specs[widget_id].get("data_intent") or {}).get("refresh_seconds")
                    next_due[widget_id] = time.monotonic() + max(int(refresh or 60), 5)
            await asyncio.sleep(0.5)

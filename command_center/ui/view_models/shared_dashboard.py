"""The live dashboard as every tab of a process shows it, computed once per batch (pure).

One process-wide renderer (ui/live_room.py) feeds fan-out items into a `SharedDashboard`, asks
it which displayed values changed, and sends those to every live tab at once. A tab that
(re)loads or resyncs is given `snapshot()`: every displayed value as it is now, never a copy
the tab kept. `revision` moves whenever a displayed value changes, so a tab can tell whether
the snapshot it was given is still the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from command_center.realtime.notices import SIMULATOR as SIMULATOR_TOPIC
from command_center.ui.view_models.formatting import humanize
from command_center.ui.view_models.live_feed import FeedView, feed_entry

DISPLAYED = (
    "tiles",
    "feed",
    "status_counts",
    "version",
    "connection",
    "loading",
    "error",
    "simulator_on",
)


def status_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claims-by-status chart's rows."""
    return [{"label": humanize(row["status"]), "value": row["count"]} for row in rows]


def _initial() -> dict[str, Any]:
    return {
        "tiles": [],
        "feed": [],
        "status_counts": [],
        "version": 0,
        "connection": "connecting",
        "loading": True,
        "error": "",
        "simulator_on": False,
    }


@dataclass
class SharedDashboard:
    """Tiles, feed, chart rows, version, connection and simulator switch, held once."""

    view: FeedView = field(default_factory=FeedView)
    shown: dict[str, Any] = field(default_factory=_initial)
    heartbeat: int = 0
    revision: int = 0
    simulator_on: bool = False

    def seed_events(self, events: list[dict[str, Any]]) -> None:
        """Fill the feed with the latest logged events (before the stream adds to it)."""
        self.view.events = [feed_entry(event) for event in events]

    def apply(self, items: list[dict[str, Any]]) -> bool:
        """Apply fan-out items; True when anything displayed may have changed."""
        changed = False
        for item in items:
            if item.get("kind") == "notice":
                if item.get("topic") == SIMULATOR_TOPIC:
                    running = bool(item.get("running"))
                    changed |= running != self.simulator_on
                    self.simulator_on = running
                continue
            changed |= self.view.apply(item)
        return changed

    def render(self, rows: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The displayed values that differ from the last render (`rows`: the claims by
        status, None when unavailable: the chart keeps its last counts)."""
        values: dict[str, Any] = {
            "tiles": self.view.tiles(),
            "feed": list(self.view.events),
            "version": self.view.version,
            "connection": self.view.connection,
            "simulator_on": self.simulator_on,
        }
        if self.view.version or self.view.connection != "connecting":
            values.update(loading=False, error="")
        if rows is not None:
            values["status_counts"] = status_counts(rows)
        changed = {k: v for k, v in values.items() if self.shown.get(k) != v}
        if changed:
            self.shown.update(changed)
            self.revision += 1
        return changed

    def set_connection(self, connection: str) -> dict[str, Any]:
        """Say "reconnecting" (or "live") without a fan-out item (the renderer's own retry)."""
        self.view.connection = connection
        if self.shown["connection"] == connection:
            return {}
        self.shown["connection"] = connection
        self.revision += 1
        return {"connection": connection}

    def beat(self) -> int:
        """The next heartbeat (the browser's liveness watchdog watches it change)."""
        self.heartbeat += 1
        return self.heartbeat

    def snapshot(self) -> dict[str, Any]:
        """Every displayed value as it is now, plus the current heartbeat."""
        return {**self.shown, "heartbeat": self.heartbeat}

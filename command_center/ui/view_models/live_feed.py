"""Live feed view-model: pure reduction of fan-out items into tiles, feed and connection."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from command_center.ui.view_models.kpi_tiles import to_tiles

FEED_LENGTH = 25
EVENT_LABELS = {
    "claim_filed": ("Claim filed", "blue"),
    "claim_review_started": ("Review started", "cyan"),
    "claim_approved": ("Claim approved", "green"),
    "claim_denied": ("Claim denied", "red"),
    "claim_fulfilled": ("Claim fulfilled", "teal"),
    "claim_cancelled": ("Claim cancelled", "gray"),
    "device_registered": ("Device registered", "violet"),
    "plan_enrolled": ("Plan enrolled", "iris"),
    "plan_cancelled": ("Plan cancelled", "orange"),
    "session_opened": ("Session opened", "amber"),
    "session_escalated": ("Session escalated", "tomato"),
    "session_resolved": ("Session resolved", "grass"),
}


@dataclass
class FeedView:
    """The dashboard's live view: KPI version and values, recent events, connection."""

    version: int = 0
    kpis: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, str]] = field(default_factory=list)
    connection: str = "connecting"
    flashes: dict[str, int] = field(default_factory=dict)

    def apply(self, item: dict[str, Any]) -> bool:
        """Apply one fan-out item; returns True when anything visible changed."""
        kind = item.get("kind")
        if kind == "notice":  # layout/widget notices share the bus; no KPI state
            return False
        if kind == "status":
            status = "live" if item.get("status") == "live" else "reconnecting"
            changed, self.connection = status != self.connection, status
            return changed
        version = int(item.get("version") or 0)
        if kind == "update" and version <= self.version:
            return False  # older than what we show: never go backwards
        if kind == "snapshot" and version < self.version and not item.get("resync"):
            return False
        self._set_kpis(item.get("kpis") or {})
        self.version = version
        self.connection = "live"
        for event in item.get("events") or ([item["event"]] if item.get("event") else []):
            self.events.insert(0, feed_entry(event))
        del self.events[FEED_LENGTH:]
        return True

    def _set_kpis(self, kpis: dict[str, Any]) -> None:
        for key, value in kpis.items():
            if key in self.kpis and self.kpis[key] != value:
                self.flashes[key] = self.flashes.get(key, 0) + 1
        self.kpis = dict(kpis)

    def tiles(self) -> list[dict[str, str]]:
        """Display tiles with a flash class that alternates on every change."""
        rows = []
        for tile in tile_rows(self.kpis):
            count = self.flashes.get(tile["id"], 0)
            flash = "" if count == 0 else ("kpi-flash-a" if count % 2 else "kpi-flash-b")
            rows.append({**tile, "flash": flash})
        return rows


def tile_rows(kpis: dict[str, Any]) -> tuple[dict[str, str], ...]:
    """The tiles of `kpis` as display strings; every tab showing the same KPI version
    shares one computation (many live tabs render the same values)."""
    key = tuple(kpis.items())
    if all(isinstance(value, Hashable) for _, value in key):
        return _tile_rows(key)
    return _tile_rows.__wrapped__(key)


@lru_cache(maxsize=32)
def _tile_rows(key: tuple[tuple[str, Any], ...]) -> tuple[dict[str, str], ...]:
    return tuple({k: str(v) for k, v in tile.model_dump().items()} for tile in to_tiles(dict(key)))


def feed_entry(event: dict[str, Any]) -> dict[str, str]:
    """One line of the live event feed."""
    label, color = EVENT_LABELS.get(event.get("type", ""), (event.get("type", "event"), "gray"))
    occurred = str(event.get("occurred_at", ""))
    return {
        "id": str(event.get("event_id", "")),
        "label": label,
        "color": color,
        "subject": str(event.get("subject_id", "")),
        "time": occurred[11:19] if len(occurred) >= 19 else occurred,
    }

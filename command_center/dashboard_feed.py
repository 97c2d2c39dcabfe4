"""Pure reduction of fan-out items into what the dashboard shows (tiles, feed, connection)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from command_center.kpi_snapshot import to_tiles

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
        for tile in to_tiles(self.kpis):
            count = self.flashes.get(tile.id, 0)
            flash = "" if count == 0 else ("kpi-flash-a" if count % 2 else "kpi-flash-b")
            rows.append({**{k: str(v) for k, v in tile.model_dump().items()}, "flash": flash})
        return rows


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


_status_cache: tuple[float, list[dict[str, Any]]] = (0.0, [])
STATUS_ORDER = ["filed", "in_review", "approved", "fulfilled", "denied", "cancelled"]


def claims_by_status(max_age_seconds: float = 1.0) -> list[dict[str, Any]]:
    """Claim counts per status (all claims), memoised per process for `max_age_seconds`."""
    global _status_cache
    stamp, rows = _status_cache
    if time.monotonic() - stamp < max_age_seconds:
        return rows
    from command_center.db.models import Claim
    from command_center.db.session import session_scope

    with session_scope() as session:
        result = session.execute(select(Claim.status, func.count()).group_by(Claim.status))
        counts = {status: count for status, count in result.all()}
    order = STATUS_ORDER + sorted(set(counts) - set(STATUS_ORDER))
    rows = [{"label": s.replace("_", " "), "value": counts[s]} for s in order if s in counts]
    _status_cache = (time.monotonic(), rows)
    return rows


def recent_events(limit: int = FEED_LENGTH) -> list[dict[str, str]]:
    """The latest events from the log, newest first (fills the feed on connect)."""
    from command_center.db.models import Event
    from command_center.db.session import session_scope

    with session_scope() as session:
        rows = session.execute(
            select(Event.event_id, Event.type, Event.subject_id, Event.occurred_at)
            .order_by(Event.id.desc())
            .limit(limit)
        ).all()
    return [
        feed_entry(
            {
                "event_id": event_id,
                "type": type_,
                "subject_id": subject,
                "occurred_at": occurred.isoformat() if occurred else "",
            }
        )
        for event_id, type_, subject, occurred in rows
    ]

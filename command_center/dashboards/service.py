"""Named dashboards and their layouts: the one service the Reflex state and `/v1` call.

Every dashboard is a `dashboard_layouts` row (name + JSON layout document). The first one
(lowest id, created on demand as "Operations") is the default: a widget that is on no
dashboard — added through the API, or left behind by a deleted dashboard — appears there.
A layout is repaired whenever it is read or written (see `layout.repair`).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from command_center.dashboards import layout as grid
from command_center.db.models import DashboardLayout, Widget, utcnow
from command_center.db.session import session_scope

DEFAULT_NAME = "Operations"
MAX_NAME = 80
MAX_DASHBOARDS = 50


class DashboardError(ValueError):
    """A dashboard request that cannot be honoured; `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Board:
    """One dashboard as the UI and API see it: id, name, repaired layout, widget ids."""

    id: int
    name: str
    layout: dict[str, Any]
    widget_ids: list[str] = field(default_factory=list)
    updated_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return asdict(self)


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name or "").split())
    if not cleaned:
        raise DashboardError("a dashboard needs a name")
    if len(cleaned) > MAX_NAME:
        raise DashboardError(f"a dashboard name has at most {MAX_NAME} characters")
    return cleaned


def _rows(session: Any) -> list[DashboardLayout]:
    rows = list(session.execute(select(DashboardLayout).order_by(DashboardLayout.id)).scalars())
    if not rows:
        row = DashboardLayout(name=DEFAULT_NAME, layout={}, updated_at=utcnow())
        session.add(row)
        session.flush()
        rows = [row]
    return rows


def list_dashboards(engine: Engine | None = None) -> list[dict[str, Any]]:
    """Every dashboard's id and name, the default first (created when there is none)."""
    with session_scope(engine) as session:
        return [{"id": row.id, "name": row.name} for row in _rows(session)]


def create_dashboard(name: str, engine: Engine | None = None) -> dict[str, Any]:
    """A new, empty dashboard; 409 when the name is taken."""
    cleaned = _clean_name(name)
    try:
        with session_scope(engine) as session:
            if len(_rows(session)) >= MAX_DASHBOARDS:
                raise DashboardError(f"at most {MAX_DASHBOARDS} dashboards", 409)
            row = DashboardLayout(name=cleaned, layout={}, updated_at=utcnow())
            session.add(row)
            session.flush()
            return {"id": row.id, "name": row.name}
    except IntegrityError:
        raise DashboardError(f"a dashboard named {cleaned!r} exists", 409) from None


def rename_dashboard(dashboard_id: int, name: str, engine: Engine | None = None) -> dict:
    """Rename a dashboard; 404 when unknown, 409 when the name is taken."""
    cleaned = _clean_name(name)
    try:
        with session_scope(engine) as session:
            row = session.get(DashboardLayout, dashboard_id)
            if row is None:
                raise DashboardError(f"no dashboard {dashboard_id}", 404)
            row.name = cleaned
            session.add(row)
            session.flush()
            return {"id": row.id, "name": row.name}
    except IntegrityError:
        raise DashboardError(f"a dashboard named {cleaned!r} exists", 409) from None


def _widget_types(session: Any) -> dict[str, str]:
    rows = session.execute(
        select(Widget.id, Widget.type).order_by(Widget.position, Widget.created_at)
    )
    return {widget_id: widget_type for widget_id, widget_type in rows.all()}


def _claimed_elsewhere(rows: list[DashboardLayout], dashboard_id: int) -> set[str]:
    claimed: set[str] = set()
    for row in rows:
        if row.id != dashboard_id:
            claimed.update(grid.members(grid.parse_document(row.layout)))
    return claimed


def _repaired(session: Any, row: DashboardLayout, document: grid.LayoutDocument) -> Board:
    rows = _rows(session)
    widgets = _widget_types(session)
    if row.id == rows[0].id:  # the default dashboard adopts widgets on no dashboard
        claimed = _claimed_elsewhere(rows, row.id)
        pool = {wid: kind for wid, kind in widgets.items() if wid not in claimed}
        current = set(grid.members(document))
        candidates = {wid: kind for wid, kind in widgets.items() if wid in current}
        fixed, changed = grid.repair(document, {**candidates, **pool})
    else:
        fixed, changed = grid.repair(document, widgets, add_missing=False)
    stored = grid.as_json(fixed)
    if changed or row.layout != stored:
        row.layout = stored
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
    return Board(
        id=int(row.id or 0),
        name=row.name,
        layout=stored,
        widget_ids=grid.members(fixed),
        updated_at=row.updated_at.isoformat() if row.updated_at else "",
    )


def _row(session: Any, dashboard_id: int | None) -> DashboardLayout:
    rows = _rows(session)
    if dashboard_id is None:
        return rows[0]
    row = session.get(DashboardLayout, dashboard_id)
    if row is None:
        raise DashboardError(f"no dashboard {dashboard_id}", 404)
    return row


def load_layout(dashboard_id: int | None = None, engine: Engine | None = None) -> Board:
    """The dashboard (default when None) with its layout repaired against the widgets."""
    with session_scope(engine) as session:
        row = _row(session, dashboard_id)
        return _repaired(session, row, grid.parse_document(row.layout))


async def save_layout(
    dashboard_id: int | None, layouts: dict[str, Any], *, origin: str = ""
) -> Board:
    """Store a layout (see `store_layout`) and tell every tab on that dashboard.

    `origin` identifies the saving tab, which ignores its own notice."""
    from command_center.realtime import notices

    board = await asyncio.to_thread(store_layout, dashboard_id, layouts)
    await notices.publish_notice(notices.LAYOUT, dashboard_id=board.id, origin=origin)
    return board


def store_layout(
    dashboard_id: int | None, layouts: dict[str, Any], engine: Engine | None = None
) -> Board:
    """Store a grid layout (`{breakpoint: [items]}`) for the dashboard, repaired first.

    Widgets the submitted reference layout leaves out stay on the dashboard (a stale tab
    cannot drop a widget another tab added); ids of deleted widgets are dropped.
    """
    try:
        document = grid.LayoutDocument.model_validate({"layouts": layouts})
    except ValueError as exc:
        raise DashboardError(f"invalid layout: {exc}") from None
    with session_scope(engine) as session:
        row = _row(session, dashboard_id)
        stored = grid.parse_document(row.layout)
        types = _widget_types(session)
        submitted = set(grid.members(document))
        missing = [wid for wid in grid.members(stored) if wid not in submitted]
        for widget_id in missing:
            old = {n: [i for i in items if i.i == widget_id] for n, items in stored.layouts.items()}
            at = {n: found[0].model_dump(exclude={"i"}) for n, found in old.items() if found}
            document = grid.place(document, widget_id, types.get(widget_id, "chart"), at=at)
        return _repaired(session, row, document)


def place_widget(
    dashboard_id: int | None,
    widget_id: str,
    widget_type: str,
    *,
    at: dict[str, dict[str, int]] | None = None,
    after: str | None = None,
    engine: Engine | None = None,
) -> Board:
    """Put a widget on a dashboard: at remembered places (undo), after another, or below."""
    with session_scope(engine) as session:
        row = _row(session, dashboard_id)
        document = grid.place(
            grid.parse_document(row.layout), widget_id, widget_type, at=at, after=after
        )
        return _repaired(session, row, document)


def take_widget_off(widget_id: str, engine: Engine | None = None) -> tuple[int | None, dict]:
    """Remove a widget from whichever dashboard holds it; returns (dashboard id, old places)."""
    with session_scope(engine) as session:
        for row in _rows(session):
            document = grid.parse_document(row.layout)
            if widget_id in grid.members(document):
                fixed, places = grid.remove(document, widget_id)
                row.layout = grid.as_json(fixed)
                row.updated_at = utcnow()
                session.add(row)
                return int(row.id or 0), places
    return None, {}

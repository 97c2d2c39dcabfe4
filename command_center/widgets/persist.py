"""Persist clarifier results: "Add to dashboard" writes the widget and promotes a one-off
metric into the catalog in ONE transaction."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from command_center.db.models import MetricDefinitionRow, Widget, utcnow
from command_center.db.session import session_scope
from command_center.metrics.definitions import MetricDefinition
from command_center.metrics.validation import MetricValidationError, validate_metric_definition
from command_center.widgets.custom.checks import StaticCheckReport, check_component
from command_center.widgets.custom.compile import compile_sources
from command_center.widgets.spec import AnyWidgetSpec, CustomWidgetSpec, spec_hash

WIDGET_ID_MAX_CHARS = 40  # widgets.id is VARCHAR(40)

CHAT_ORIGIN = "chat"
PROMOTED_ORIGIN = "promoted"


class PersistError(ValueError):
    """The widget cannot be persisted as asked (e.g. its metric is not in the catalog).

    `kind` is `unknown-metric`, `metric-mismatch` or `invalid-metric`; `field` names the
    offending metric field for `invalid-metric`.
    """

    def __init__(self, message: str, *, kind: str = "unknown-metric", field: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.field = field


class ComponentRejected(PersistError):
    """A custom widget's TSX failed static checks; `report` says which and why."""

    def __init__(self, report: StaticCheckReport) -> None:
        self.report = report
        super().__init__(
            f"component failed static checks: {report.summary()}", kind="component-rejected"
        )


def add_widget_to_dashboard(
    spec: AnyWidgetSpec,
    *,
    promote_metric: MetricDefinition | None = None,
    engine: Engine | None = None,
    widget_id: str | None = None,
) -> Widget:
    """Write the widget row (origin="chat") and, when its metric is a one-off not yet in the
    catalog, the promoted MetricDefinitionRow (origin="promoted") — both or neither.

    A custom widget is saved only when its TSX passes every static check (else
    `ComponentRejected`). Raises PersistError when the spec's metric is unknown and no
    definition is given, when `promote_metric` names a different metric than the spec, or
    when the dictionary does not allow what the promoted definition would read
    (`validate_metric_definition`).
    """
    _check_component(spec)
    metric_id = getattr(spec.data_intent, "metric", None)  # None: a records intent
    if metric_id is None:
        if promote_metric is not None:
            raise PersistError("a records intent has no metric to promote")
        return _insert_widget(spec, None, engine, widget_id)
    if promote_metric is not None and promote_metric.id != metric_id:
        raise PersistError(
            f"promote_metric {promote_metric.id!r} does not match the spec's metric {metric_id!r}",
            kind="metric-mismatch",
        )
    with session_scope(engine) as session:
        known = session.get(MetricDefinitionRow, metric_id) is not None
        if not known:
            if promote_metric is None:
                raise PersistError(f"metric {metric_id!r} is not in the catalog")
            try:
                validate_metric_definition(promote_metric)
            except MetricValidationError as exc:
                raise PersistError(
                    f"promote_metric rejected: {exc}", kind="invalid-metric", field=exc.field
                ) from None
            data = promote_metric.model_dump()
            data["origin"] = PROMOTED_ORIGIN
            session.add(MetricDefinitionRow(**data, created_at=utcnow()))
            session.flush()
        return _add_widget(session, spec, metric_id, widget_id)


def _check_component(spec: AnyWidgetSpec) -> None:
    """A custom widget's TSX must pass every static check (`ComponentRejected`); it is then
    compiled once (cached by content hash for the sandbox). Other specs pass through."""
    if isinstance(spec, CustomWidgetSpec):
        report = check_component(spec)
        if not report.passed:
            raise ComponentRejected(report)
        compile_sources([spec.tsx_source])


def _insert_widget(
    spec: AnyWidgetSpec, metric_id: str | None, engine: Engine | None, widget_id: str | None
) -> Widget:
    with session_scope(engine) as session:
        return _add_widget(session, spec, metric_id, widget_id)


def _add_widget(
    session: Session, spec: AnyWidgetSpec, metric_id: str | None, widget_id: str | None
) -> Widget:
    """Add the widget row at the end of the dashboard (the caller's transaction commits)."""
    position = session.execute(select(func.coalesce(func.max(Widget.position), -1))).scalar()
    widget = Widget(
        id=widget_id or uuid.uuid4().hex,
        type=spec.type,
        title=spec.title,
        metric_id=metric_id,
        spec=spec.model_dump(mode="json"),
        spec_hash=spec_hash(spec),
        origin=CHAT_ORIGIN,
        position=int(position or 0) + 1,
        created_at=utcnow(),
    )
    session.add(widget)
    session.flush()
    return widget


def list_widgets(engine: Engine | None = None) -> list[Widget]:
    """The dashboard's widgets in display order."""
    with session_scope(engine) as session:
        rows = session.execute(select(Widget).order_by(Widget.position, Widget.created_at))
        return list(rows.scalars())


def widget_to_dict(widget: Widget) -> dict[str, Any]:
    """JSON shape of a widget row (API and UI)."""
    return {
        "id": widget.id,
        "type": widget.type,
        "title": widget.title,
        "metric_id": widget.metric_id,
        "spec": widget.spec,
        "spec_hash": widget.spec_hash,
        "origin": widget.origin,
        "position": widget.position,
        "created_at": widget.created_at.isoformat() if widget.created_at else None,
    }


def delete_chat_widgets(engine: Engine | None = None) -> tuple[int, int]:
    """Demo reset: delete chat widgets and promoted metrics no longer used by any widget.

    Returns (widgets deleted, metrics deleted).
    """
    with session_scope(engine) as session:
        widgets = session.execute(delete(Widget).where(Widget.origin == CHAT_ORIGIN)).rowcount
        still_used = select(Widget.metric_id)
        metrics = session.execute(
            delete(MetricDefinitionRow).where(
                MetricDefinitionRow.origin == PROMOTED_ORIGIN,
                MetricDefinitionRow.id.not_in(still_used),
            )
        ).rowcount
        return int(widgets or 0), int(metrics or 0)


def remove_widget(widget_id: str, engine: Engine | None = None) -> bool:
    """Remove one widget from the dashboard; False when there was none with that id.

    A promoted metric no other widget uses leaves the catalog in the same transaction (so
    the catalog never accumulates orphans); seeded widgets come back with `make demo-reset`.
    """
    with session_scope(engine) as session:
        widget = session.get(Widget, widget_id)
        if widget is None:
            return False
        metric_id = widget.metric_id
        session.delete(widget)
        session.flush()
        still_used = select(Widget.id).where(Widget.metric_id == metric_id).limit(1)
        if session.execute(still_used).first() is None:
            session.execute(
                delete(MetricDefinitionRow).where(
                    MetricDefinitionRow.id == metric_id,
                    MetricDefinitionRow.origin == PROMOTED_ORIGIN,
                )
            )
    return True


def get_widget(widget_id: str, engine: Engine | None = None) -> Widget | None:
    """One widget row, or None."""
    with session_scope(engine) as session:
        return session.get(Widget, widget_id)


def stored_spec(widget_id: str, engine: Engine | None = None) -> dict[str, Any] | None:
    """A stored widget's spec (a copy), or None — an id longer than any row's is none."""
    if not widget_id or len(widget_id) > WIDGET_ID_MAX_CHARS:
        return None
    with session_scope(engine) as session:
        widget = session.get(Widget, widget_id)
        return copy.deepcopy(dict(widget.spec)) if widget is not None else None


def promoted_metric(metric_id: str | None, engine: Engine | None = None) -> dict | None:
    """The promoted catalog row `metric_id` as a MetricDefinition dict (None when seeded or
    absent): what an undo needs to re-promote it after `remove_widget` dropped it."""
    if metric_id is None:
        return None
    with session_scope(engine) as session:
        row = session.get(MetricDefinitionRow, metric_id)
        if row is None or row.origin != PROMOTED_ORIGIN:
            return None
        fields = MetricDefinition.model_fields
        return {key: value for key, value in row.model_dump().items() if key in fields}


def update_widget(widget_id: str, spec: AnyWidgetSpec, engine: Engine | None = None) -> Widget:
    """Save an edited spec in place (same id, same place on the dashboard).

    Raises PersistError when there is no such widget or the spec's metric is unknown, and
    `ComponentRejected` for a custom widget whose TSX fails the static checks (as on add).
    """
    _check_component(spec)
    with session_scope(engine) as session:
        widget = session.get(Widget, widget_id)
        if widget is None:
            raise PersistError(f"no widget {widget_id!r}", kind="unknown-widget")
        metric_id = getattr(spec.data_intent, "metric", None)  # None: a records intent
        if metric_id is not None and session.get(MetricDefinitionRow, metric_id) is None:
            raise PersistError(f"metric {metric_id!r} is not in the catalog")
        widget.type = spec.type
        widget.title = spec.title
        widget.metric_id = metric_id
        widget.spec = spec.model_dump(mode="json")
        widget.spec_hash = spec_hash(spec)
        session.add(widget)
        session.flush()
        return widget

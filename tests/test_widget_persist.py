"""Add to dashboard: widget + promoted metric in one transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from command_center.db.models import MetricDefinitionRow, Widget
from command_center.metrics.definitions import MetricDefinition
from command_center.sql.intent import DataIntent
from command_center.widgets.persist import (
    PersistError,
    add_widget_to_dashboard,
    delete_chat_widgets,
    list_widgets,
)
from command_center.widgets.spec import ChartWidgetSpec, KpiWidgetSpec

ONE_OFF = MetricDefinition(
    id="theft_claims",
    label="Theft claims",
    source_table="claims",
    measure="COUNT(*)",
    time_column="filed_at",
    base_filter="loss_type = 'theft'",
    dimensions=["region", "channel"],
)


@pytest.fixture
def engine(catalog_engine: Engine) -> Engine:
    return catalog_engine


def _spec(metric: str = "claims_filed") -> ChartWidgetSpec:
    return ChartWidgetSpec(
        title="Claims by region",
        data_intent=DataIntent(metric=metric, dimensions=["region"]),
        mock_data=[{"region": "West", "value": 1}],
    )


def _promoted(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.execute(
            select(MetricDefinitionRow.id).where(MetricDefinitionRow.origin == "promoted")
        )
        return list(rows.scalars())


def test_add_widget_with_catalog_metric(engine: Engine) -> None:
    spec = _spec()
    widget = add_widget_to_dashboard(spec, engine=engine)
    assert len(widget.id) == 32 and widget.origin == "chat"
    assert widget.spec_hash == spec.spec_hash() and widget.metric_id == "claims_filed"
    second = add_widget_to_dashboard(KpiWidgetSpec(title="Approval", data_intent=DataIntent(
        metric="approval_rate")), engine=engine)  # fmt: skip
    assert [w.id for w in list_widgets(engine)] == [widget.id, second.id]
    assert list_widgets(engine)[0].spec["data_intent"]["dimensions"] == ["region"]
    assert _promoted(engine) == []


def test_unknown_metric_needs_a_definition(engine: Engine) -> None:
    with pytest.raises(PersistError):
        add_widget_to_dashboard(_spec("theft_claims"), engine=engine)
    with pytest.raises(PersistError):
        add_widget_to_dashboard(_spec("claims_filed"), promote_metric=ONE_OFF, engine=engine)
    assert list_widgets(engine) == []


def test_promotion_is_atomic_with_the_widget(engine: Engine) -> None:
    existing = add_widget_to_dashboard(_spec(), engine=engine)
    # force the widget insert to fail (duplicate primary key) after the metric was staged
    with pytest.raises(IntegrityError):
        add_widget_to_dashboard(
            _spec("theft_claims"), promote_metric=ONE_OFF, engine=engine, widget_id=existing.id
        )
    assert _promoted(engine) == []
    assert [w.id for w in list_widgets(engine)] == [existing.id]

    widget = add_widget_to_dashboard(_spec("theft_claims"), promote_metric=ONE_OFF, engine=engine)
    assert _promoted(engine) == ["theft_claims"]
    with Session(engine) as session:
        assert session.get(Widget, widget.id).metric_id == "theft_claims"
    # a second widget on the now-catalogued metric does not promote again
    add_widget_to_dashboard(_spec("theft_claims"), promote_metric=ONE_OFF, engine=engine)
    assert _promoted(engine) == ["theft_claims"]

    assert delete_chat_widgets(engine) == (3, 1)
    assert list_widgets(engine) == [] and _promoted(engine) == []
    with Session(engine) as session:  # seeded metrics stay
        assert session.get(MetricDefinitionRow, "claims_filed") is not None

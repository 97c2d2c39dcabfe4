"""`make demo-reset` removes chat widgets and promoted metrics and restores the seed."""

from __future__ import annotations

from sqlalchemy import func, select

from command_center.db.migrate import upgrade_to_head
from command_center.db.models import Claim, MetricDefinitionRow, Widget
from command_center.db.seed import seed_demo
from command_center.db.seed_widgets import SEEDED_WIDGETS
from command_center.db.session import engine_for
from command_center.demo_reset import reset_demo
from command_center.metrics.definitions import SEEDED_METRICS, seeded_metric
from command_center.widgets.persist import add_widget_to_dashboard
from command_center.widgets.spec import parse_spec


def test_reset_removes_chat_work_and_restores_seed(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade_to_head(url)
    engine = engine_for(url)
    seed_demo(engine, customers=40)
    seeded_claims = _count(engine, Claim)
    one_off = seeded_metric("claims_filed").model_copy(
        update={"id": "claims_filed_samsung", "label": "Samsung claims", "origin": "promoted"}
    )
    spec = parse_spec(
        {"type": "kpi", "title": "Samsung claims", "data_intent": {"metric": one_off.id}}
    )
    add_widget_to_dashboard(spec, promote_metric=one_off, engine=engine)
    with engine.begin() as conn:  # an operator also deleted a seeded widget and some claims
        conn.execute(Widget.__table__.delete().where(Widget.id == SEEDED_WIDGETS[0]["id"]))
        conn.execute(Claim.__table__.delete().where(Claim.id <= 5))
    assert _count(engine, MetricDefinitionRow) == len(SEEDED_METRICS) + 1

    summary = reset_demo(engine, customers=40)

    assert summary["chat_widgets_removed"] == 1
    assert summary["promoted_metrics_removed"] == 1
    with engine.connect() as conn:
        ids = set(conn.scalars(select(Widget.id)))
        origins = set(conn.scalars(select(MetricDefinitionRow.origin)))
    assert ids == {w["id"] for w in SEEDED_WIDGETS}
    assert origins == {"seed"} and _count(engine, MetricDefinitionRow) == len(SEEDED_METRICS)
    assert _count(engine, Claim) == seeded_claims


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))

"""An absolute dashboard time range (from/to dates): validated once, carried in the data
intent, compiled to bound date literals, part of the cache key, the same for the UI and /v1."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlglot
from fastapi.testclient import TestClient
from pydantic import ValidationError

from command_center.dashboards.filters import (
    MAX_DAYS,
    ChoiceError,
    ViewChoice,
    apply_choice,
    parse_choice,
)
from command_center.metrics.definitions import seeded_metric
from command_center.resolver import cache_key
from command_center.sql.compiler import CompileError, compile_metric_sql, transpile_for
from command_center.sql.intent import DataIntent
from command_center.sql.llm_generator import build_prompt
from command_center.ui.states.widgets import WidgetsState
from tests.api_helpers import assert_problem

SPEC = {
    "type": "table",
    "title": "Claims by region",
    "data_intent": {"metric": "claims_filed", "dimensions": ["region"], "period": "this_month"},
}


def test_parse_choice_accepts_an_inclusive_range_and_round_trips_through_the_url() -> None:
    choice = parse_choice({"from": "2026-01-01", "to": "2026-01-31", "region": "West"})
    assert (choice.start, choice.end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert choice.params() == {"from": "2026-01-01", "to": "2026-01-31", "region": "West"}
    assert ViewChoice.from_params(choice.params()) == choice
    single_day = parse_choice({"from": "2026-03-05", "to": "2026-03-05"})
    assert single_day.start == single_day.end


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from", "after the end"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to", f"at most {MAX_DAYS} days"),
        ({"from": "2026-01-01"}, "to", "missing"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from", "not a calendar date"),
        ({"from": "2026-1-1", "to": "2026-01-02"}, "from", "look like"),
        ({"from": "2026-01-01" + "x" * 5000, "to": "2026-01-02"}, "from", "look like"),
        ({"from": "1999-12-31", "to": "2000-01-02"}, "from", "between"),
        ({"from": "2026-01-01'; DROP TABLE claims; --", "to": "2026-01-02"}, "from", "look"),
        ({"range": "7d", "from": "2026-01-01", "to": "2026-01-02"}, "range", "not both"),
        ({"range": "custom:00014" + "9" * 100}, "range", "unknown time range"),
        ({"colour": "red"}, "colour", "unknown parameter"),
        ({"region": "x" * 121}, "region", "at most 120"),
        ({f"k{i}": "v" for i in range(50)}, "params", "at most"),
    ],
)
def test_parse_choice_refuses_with_a_readable_error(params, field, words) -> None:
    with pytest.raises(ChoiceError, match=words) as info:
        parse_choice(params)
    assert info.value.field == field


def test_a_link_with_a_bad_range_keeps_the_rest() -> None:
    choice = ViewChoice.from_params({"from": "2026-02-01", "to": "2026-01-01", "region": "West"})
    assert choice.start is None and choice.filters == {"region": "West"}
    assert not ViewChoice.from_params({"from": "nonsense", "to": "2026-01-01"}).active


def test_the_range_replaces_the_widgets_period_and_changes_the_cache_key() -> None:
    metric = seeded_metric("claims_filed")
    january = parse_choice({"from": "2026-01-01", "to": "2026-01-31"})
    applied, notes = apply_choice(SPEC, metric, january)
    intent = applied["data_intent"]
    assert notes == [] and "period" not in intent
    assert (intent["start"], intent["end"], intent["window_days"]) == (
        "2026-01-01",
        "2026-01-31",
        31,
    )
    february = apply_choice(SPEC, metric, parse_choice({"from": "2026-02-01", "to": "2026-02-28"}))
    keys = {cache_key("w", s) for s in (SPEC, applied, february[0])}
    assert len(keys) == 3  # each range is its own cache entry
    preset, _ = apply_choice(applied, metric, ViewChoice(range="7d"))
    assert "start" not in preset["data_intent"] and preset["data_intent"]["window_days"] == 7
    _, point = apply_choice(
        {"data_intent": {"metric": "open_claims"}}, seeded_metric("open_claims"), january
    )
    assert point == ["Not limited by the time range"]


def test_intent_validates_the_range_server_side() -> None:
    ok = DataIntent.model_validate({"metric": "m", "start": "2026-01-01", "end": "2026-01-02"})
    assert ok.start == date(2026, 1, 1)
    for bad in (
        {"start": "2026-01-02", "end": "2026-01-01"},
        {"start": "2026-01-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "2026-01-01'--", "end": "2026-01-02"},
    ):
        with pytest.raises(ValidationError):
            DataIntent.model_validate({"metric": "m", **bad})


def test_the_range_compiles_to_date_literals_in_every_dialect() -> None:
    metric = seeded_metric("claims_filed")
    intent = DataIntent.model_validate(
        {
            **apply_choice(SPEC, metric, parse_choice({"from": "2026-01-01", "to": "2026-01-31"}))[
                0
            ]["data_intent"]
        }
    )
    sql = compile_metric_sql(metric, intent)
    assert (
        "WHERE filed_at >= CAST('2026-01-01' AS DATE) AND filed_at < CAST('2026-02-01' AS DATE)"
    ) in sql
    assert "INTERVAL" not in sql and "DATE_TRUNC" not in sql  # the period was replaced
    tree = sqlglot.parse_one(sql, read="databricks")
    days = [lit.this for lit in tree.find_all(sqlglot.exp.Literal) if lit.is_string]
    assert days == ["2026-01-01", "2026-02-01"]
    assert "DATE('2026-02-01')" in transpile_for(sql, "sqlite")
    forged = intent.model_copy(update={"start": "2026-01-01' OR 1=1 --"})  # unvalidated
    with pytest.raises(CompileError, match="must be dates"):
        compile_metric_sql(metric, forged)


def test_the_llm_is_told_the_same_range() -> None:
    from command_center.sql.dictionary import load_dictionary

    metric = seeded_metric("claims_filed")
    intent = DataIntent(metric=metric.id, start=date(2026, 1, 1), end=date(2026, 1, 31))
    prompt = build_prompt(metric, intent, load_dictionary())
    assert "filed_at >= CAST('2026-01-01' AS DATE) AND filed_at < CAST('2026-02-01'" in prompt
    assert "INTERVAL" not in prompt


@pytest.fixture
def client(settings_env: Path):  # type: ignore[no-untyped-def]
    from tests.api_helpers import prepared_client

    yield from prepared_client()


def test_v1_data_honours_the_range_like_the_dashboard(client: TestClient) -> None:
    from command_center.db.models import Widget
    from command_center.db.session import session_scope

    with session_scope() as session:
        template = session.get(Widget, "seed-claims-by-product")
        columns = {c.name: getattr(template, c.name) for c in Widget.__table__.columns}
        spec = {**SPEC, "data_intent": {**SPEC["data_intent"], "period": None}}
        spec["data_intent"]["window_days"] = 365
        session.add(Widget(**{**columns, "id": "w-range", "spec": spec}))
    url = "/v1/widgets/w-range/data"
    everything = client.post(url).json()
    assert everything["rows"] and everything["notes"] == []
    today = date.today()
    recent = client.post(url, params={"from": str(today - timedelta(days=400)), "to": str(today)})
    assert recent.status_code == 200, recent.text
    assert sum(r["value"] for r in recent.json()["rows"]) >= sum(
        r["value"] for r in everything["rows"]
    )
    empty = client.post(url, params={"from": "2000-01-01", "to": "2000-01-31"}).json()
    assert empty["rows"] == [] and "2000-01-01" in empty["sql"]
    assert len({everything["cache_key"], recent.json()["cache_key"], empty["cache_key"]}) == 3
    body = assert_problem(client.post(url, params={"from": "2026-02-01", "to": "2026-01-01"}), 422)
    assert body["field"] == "from" and "after the end" in body["detail"]
    assert_problem(client.post(url, params={"to": "2026-01-01"}), 422)


async def test_the_filter_bar_form_refuses_and_applies_like_v1() -> None:
    state = WidgetsState(_reflex_internal_init=True)
    state.filters = {"region": "West"}
    assert (
        await WidgetsState.set_dates.fn(state, {"from": "2026-02-01", "to": "2026-01-01"}) is None
    )
    assert state.range_error == "The start date is after the end date." and not state.range_start
    script = await WidgetsState.set_dates.fn(state, {"from": "2026-01-01", "to": "2026-01-31"})
    assert (state.range_start, state.range_end, state.range_error) == (
        "2026-01-01",
        "2026-01-31",
        "",
    )
    assert "from=2026-01-01&to=2026-01-31&region=West" in str(script)
    assert state._choice() == parse_choice(
        {"from": "2026-01-01", "to": "2026-01-31", "region": "West"}
    )
    await WidgetsState.set_range.fn(state, "7d")
    assert (state.range_start, state.range_choice, state.filters) == ("", "7d", {"region": "West"})


# ------------------------------------------------- filter values: only the known ones

ALLOWED = {"region": {"West", "East"}, "channel": {"app"}}


def test_filter_values_must_be_known_values() -> None:
    assert parse_choice({"region": "West"}, ALLOWED).filters == {"region": "West"}
    with pytest.raises(ChoiceError, match="Region 'Narnia' is not one of the known values") as e:
        parse_choice({"region": "Narnia"}, ALLOWED)
    assert e.value.field == "region"
    with pytest.raises(ChoiceError, match="not one of the known"):
        parse_choice({"make": "Apple"}, ALLOWED)  # a filter with no known values at all
    link = ViewChoice.from_params({"region": "Narnia", "channel": "app"}, ALLOWED)
    assert link.filters == {"channel": "app"}


def test_v1_refuses_made_up_filter_values(client: TestClient) -> None:
    from command_center.dashboards.view_data import filter_choices

    regions = next(o["values"] for o in filter_choices() if o["key"] == "region")
    assert regions  # the seeded data has regions
    url = "/v1/widgets/seed-claims-by-product/data"
    made_up = [f"Region {i}" for i in range(3)]
    for value in made_up:
        body = assert_problem(client.post(url, params={"region": value}), 422)
        assert body["field"] == "region" and "known values" in body["detail"]
    ok = client.post(url, params={"region": regions[0]})
    assert ok.status_code == 200, ok.text


async def test_the_filter_bar_takes_only_known_values() -> None:
    state = WidgetsState(_reflex_internal_init=True)
    state.filter_options = [
        {"key": k, "label": k.title(), "values": sorted(v)} for k, v in ALLOWED.items()
    ]
    state._clean()
    refused = await WidgetsState.set_filter.fn(state, "region", "Narnia")
    assert "not one of the known values" in str(refused) and state.filters == {}
    await WidgetsState.set_filter.fn(state, "colour", "red")
    await WidgetsState.set_filter.fn(state, "region", "x" * 100_000)
    assert state.filters == {} and not state.dirty_vars  # nothing changed, nothing reloads
    await WidgetsState.set_filter.fn(state, "region", "East")
    assert state.filters == {"region": "East"}
    state.filters = {"region": "Narnia", "channel": "app"}  # as read from a link
    state._keep_known_filters()
    assert state.filters == {"channel": "app"}


async def test_a_download_never_queries_a_filter_value_that_is_not_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A link's filter values sit in the state until the known values are read; a CSV
    download in that window (or with values that were never known) must not query them."""
    from command_center.dashboards import view_data
    from command_center.ui.states.widget_actions import WidgetActions

    asked: list[ViewChoice] = []

    async def capture(widget_id: str, spec: dict, choice: ViewChoice) -> None:
        asked.append(choice)
        raise RuntimeError("stop here")

    monkeypatch.setattr(view_data, "widget_data_in_view", capture)
    state = WidgetActions(_reflex_internal_init=True)
    state._specs = {"w1": SPEC}
    state.filters = {"region": "Narnia", "channel": "app"}  # as read from a link
    for options in ([], [{"key": k, "label": k, "values": sorted(v)} for k, v in ALLOWED.items()]):
        state.filter_options = options
        [_toast] = [item async for item in WidgetActions.download_csv.fn(state, "w1")]
    assert [choice.filters for choice in asked] == [{}, {"channel": "app"}]

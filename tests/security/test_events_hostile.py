"""Hostile events never cost data: bad timestamps, control characters and reused event ids
are rejected per item (on SQLite and PostgreSQL) and the valid items of the batch are kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from command_center.db.models import Claim, Device, Event
from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.ingest import ingest_events
from command_center.settings import get_settings

RECENT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def filed(event_id: str, claim: str, **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": "claim_filed", "occurred_at": RECENT.isoformat(),
            "claim_id": claim, "customer_id": customer_id(1), "device_id": device_id(1, 1),
            "loss_type": "theft", "channel": "app", **extra}  # fmt: skip


def registered(event_id: str, **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": "device_registered", "device_id": "DEV-H1",
            "customer_id": customer_id(2), "make": "Apple", "model": "iPhone",
            "occurred_at": RECENT.isoformat(), **extra}  # fmt: skip


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(Event.event_id)))


def assert_only_valid_kept(engine: Engine, result: Any, field: str, reason: str) -> None:
    """The hostile item (index 1) is a 422 naming the field; items 0 and 2 are stored."""
    assert result.accepted == 2, result.rejected
    [rejected] = result.rejected
    assert rejected["index"] == 1
    problem = rejected["problem"]
    assert (problem["status"], problem["field"], problem["reason"]) == (422, field, reason)
    assert problem["detail"] and problem["type"] == "/problems/invalid-event"
    assert stored_ids(engine) == {"ok-1", "ok-2"}
    with engine.connect() as conn:
        assert set(conn.scalars(select(Claim.external_id))) == {"CLM-OK1", "CLM-OK2"}


def hostile_batch(hostile: dict[str, Any]) -> list[dict[str, Any]]:
    return [filed("ok-1", "CLM-OK1"), hostile, filed("ok-2", "CLM-OK2")]


# ---------------------------------------------------------------- timestamps

FUTURE = (datetime.now(UTC) + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        ("0001-01-01T00:00:00+05:00", "timestamp_overflow"),  # OverflowError → 500 before
        ("9999-12-31T23:59:59-05:00", "timestamp_overflow"),
        ("0001-01-01T00:00:00Z", "timestamp_out_of_window"),  # parsed, skewed KPIs for days
        ("9999-12-31T00:00:00Z", "timestamp_out_of_window"),
        ("1999-12-31T23:59:59Z", "timestamp_out_of_window"),
        (FUTURE, "timestamp_out_of_window"),
        (5e9, "timestamp_not_epoch"),  # seconds → year 2128, milliseconds → 1970
        (2.5e10, "timestamp_not_epoch"),  # was read as milliseconds: 1970
        (1e15, "timestamp_not_epoch"),
        (-1, "timestamp_not_epoch"),
        ("5000000000", "timestamp_not_epoch"),
    ],
)
def test_implausible_timestamp_is_rejected_per_item(
    engine: Engine, occurred_at: Any, reason: str
) -> None:
    result = ingest_events(hostile_batch(filed("bad", "CLM-BAD", occurred_at=occurred_at)),
                           engine=engine)  # fmt: skip
    assert_only_valid_kept(engine, result, "occurred_at", reason)


@pytest.mark.parametrize("scale", [1, 1000])
def test_epoch_seconds_and_milliseconds_in_the_window_are_accepted(
    engine: Engine, scale: int
) -> None:
    number = int(RECENT.timestamp()) * scale
    result = ingest_events([filed("n1", "CLM-N1", occurred_at=number)], engine=engine)
    assert (result.accepted, result.rejected) == (1, [])
    with engine.connect() as conn:
        stored = conn.scalar(select(Event.occurred_at).where(Event.event_id == "n1"))
    assert stored.replace(tzinfo=UTC) == RECENT


def test_window_is_configurable(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_EARLIEST", (RECENT - timedelta(days=1)).isoformat())
    monkeypatch.setenv("EVENT_FUTURE_TOLERANCE_SECONDS", "7200")
    get_settings.cache_clear()
    week_ago = (RECENT - timedelta(days=7)).isoformat()
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    result = ingest_events(
        [filed("old", "CLM-OLD", occurred_at=week_ago), filed("soon", "CLM-SOON",
                                                              occurred_at=in_an_hour)],
        engine=engine,
    )  # fmt: skip
    assert result.accepted == 1
    assert [r["problem"]["reason"] for r in result.rejected] == ["timestamp_out_of_window"]


# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize(
    ("hostile", "field"),
    [
        (registered("h1", make="Ap\x00ple"), "make"),  # CharacterNotInRepertoire before
        (registered("h1", model="i\x00Phone"), "model"),
        (registered("h\x001"), "event_id"),
        (filed("h1", "CLM-H1", region="We\x00st"), "region"),
        (filed("h1", "CLM-H1", region="West\n"), "region"),
        (filed("h1", "CLM-H1", region="We\x1b[31mst"), "region"),
        (filed("h1", "CLM-H1", region="We\x7fst"), "region"),
        (filed("h1", "CLM-H1", region="We\u0085st"), "region"),
        (
            {
                "event_id": "h1",
                "type": "session_opened",
                "session_id": "SES-H1",
                "customer_id": customer_id(1),
                "channel": "web",
                "topic": "bil\x00ling",
                "occurred_at": RECENT.isoformat(),
            },
            "topic",
        ),
        (
            {
                "event_id": "h1",
                "type": "plan_enrolled",
                "device_id": device_id(1, 2),
                "plan_code": "MP-\x00PLUS",
                "occurred_at": RECENT.isoformat(),
            },
            "plan_code",
        ),
    ],
)
def test_control_characters_are_rejected_per_item(
    engine: Engine, hostile: dict[str, Any], field: str
) -> None:
    result = ingest_events(hostile_batch(hostile), engine=engine)
    assert_only_valid_kept(engine, result, field, "control_character")
    with engine.connect() as conn:
        assert conn.scalar(select(Device.id).where(Device.external_id == "DEV-H1")) is None


def test_lone_surrogate_is_rejected_per_item(engine: Engine) -> None:
    result = ingest_events(hostile_batch(registered("h1", make="Ap\ud800ple")), engine=engine)
    assert_only_valid_kept(engine, result, "make", "string_unicode")


def test_nul_in_a_payload_only_field_is_rejected(engine: Engine) -> None:
    ingest_events([filed("c1", "CLM-C1")], engine=engine)
    denied = {"event_id": "c2", "type": "claim_denied", "claim_id": "CLM-C1",
              "reason": "fr\x00aud", "occurred_at": RECENT.isoformat()}  # fmt: skip
    result = ingest_events([denied, filed("c3", "CLM-C3")], engine=engine)
    assert result.accepted == 1
    assert result.rejected[0]["problem"]["reason"] == "control_character"


# ---------------------------------------------------------------- event id = idempotency key


def test_reused_event_id_with_different_content_is_a_409_conflict(engine: Engine) -> None:
    ingest_events([filed("e-1", "CLM-A")], engine=engine)
    changed = {**filed("e-1", "CLM-A"), "loss_type": "water_damage"}
    result = ingest_events([changed, filed("e-2", "CLM-B"), filed("e-1", "CLM-A")], engine=engine)
    assert (result.accepted, result.duplicates) == (1, 1)
    [conflict] = result.rejected
    problem = conflict["problem"]
    assert conflict["index"] == 0
    assert (problem["status"], problem["reason"], problem["field"]) == (
        409,
        "event_id_conflict",
        "event_id",
    )
    assert problem["event_id"] == "e-1" and "'e-1'" in problem["detail"]
    assert stored_ids(engine) == {"e-1", "e-2"}
    with engine.connect() as conn:
        stored = conn.scalar(select(Claim.loss_type).where(Claim.external_id == "CLM-A"))
    assert stored == "theft"


def test_conflict_inside_one_batch_and_omitted_time_is_still_a_duplicate(engine: Engine) -> None:
    untimed = {k: v for k, v in filed("u-1", "CLM-U").items() if k != "occurred_at"}
    result = ingest_events(
        [untimed, {**untimed, "channel": "web"}, untimed, filed("ok-1", "CLM-OK1")],
        engine=engine,
    )
    assert (result.accepted, result.duplicates) == (2, 1)
    assert [(r["index"], r["problem"]["status"]) for r in result.rejected] == [(1, 409)]
    again = ingest_events([untimed], engine=engine)  # a retry without occurred_at
    assert (again.accepted, again.duplicates, again.rejected) == (0, 1, [])
    timed = ingest_events([{**untimed, "occurred_at": RECENT.isoformat()}], engine=engine)
    assert timed.rejected[0]["problem"]["reason"] == "event_id_conflict"


# ---------------------------------------------------------------- over HTTP


@pytest.fixture(params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    from command_center.api.app import build_api
    from command_center.db.session import get_engine
    from command_center.ops.live import stop_realtime

    if request.param == "postgresql":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("pg_url"))
        get_settings.cache_clear()
    create_reference_data(get_engine(), customers=2, devices_per_customer=1)
    with TestClient(build_api()) as test_client:
        yield test_client
        test_client.portal.call(stop_realtime)


def test_api_keeps_valid_items_next_to_overflowing_and_nul_items(client: TestClient) -> None:
    batch = [filed("a1", "CLM-A1"), filed("a2", "CLM-A2", occurred_at="9999-12-31T23:59:59-05:00"),
             registered("a3", make="\x00"), filed("a4", "CLM-A4")]  # fmt: skip
    response = client.post("/v1/events", json=batch)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    reasons = {r["index"]: r["problem"]["reason"] for r in body["rejected"]}
    assert reasons == {1: "timestamp_overflow", 2: "control_character"}


def test_api_single_event_problems(client: TestClient) -> None:
    overflow_at = "0001-01-01T00:00:00+05:00"
    overflow = client.post("/v1/events", json=filed("s1", "CLM-S1", occurred_at=overflow_at))
    assert overflow.status_code == 422
    assert overflow.headers["content-type"].startswith("application/problem+json")
    assert overflow.json()["reason"] == "timestamp_overflow"
    assert client.post("/v1/events", json=filed("s2", "CLM-S2")).json()["accepted"] == 1
    repeat = client.post("/v1/events", json=filed("s2", "CLM-S2"))
    assert (repeat.status_code, repeat.json()["duplicates"]) == (202, 1)
    conflict = client.post("/v1/events", json=filed("s2", "CLM-S9"))
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert conflict.json()["event_id"] == "s2" and "'s2'" in conflict.json()["detail"]
    in_batch = client.post("/v1/events", json=[filed("s2", "CLM-S9"), filed("s3", "CLM-S3")])
    assert in_batch.status_code == 202
    assert in_batch.json()["accepted"] == 1
    assert in_batch.json()["rejected"][0]["problem"]["status"] == 409

"""Event taxonomy: the discriminated union and its problem documents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from command_center.ops.events import EVENT_TYPES, parse_event, validation_problem

VALID = {
    "claim_filed": {
        "claim_id": "CLM-1",
        "customer_id": "CUST-000001",
        "device_id": "DEV-1",
        "loss_type": "theft",
        "channel": "app",
    },
    "claim_review_started": {"claim_id": "CLM-1"},
    "claim_approved": {"claim_id": "CLM-1"},
    "claim_denied": {"claim_id": "CLM-1", "reason": "excluded"},
    "claim_fulfilled": {"claim_id": "CLM-1", "payout_amount": 199.5},
    "claim_cancelled": {"claim_id": "CLM-1"},
    "device_registered": {
        "device_id": "DEV-1",
        "customer_id": "CUST-000001",
        "make": "Apple",
        "model": "iPhone 16",
    },
    "plan_enrolled": {"device_id": "DEV-1", "plan_code": "MP-BASIC"},
    "plan_cancelled": {"device_id": "DEV-1"},
    "session_opened": {"session_id": "SES-1", "customer_id": "CUST-000001", "channel": "web"},
    "session_escalated": {"session_id": "SES-1"},
    "session_resolved": {"session_id": "SES-1"},
}


def test_every_type_has_an_example() -> None:
    assert set(VALID) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_valid_events_parse_to_their_class(event_type: str) -> None:
    event = parse_event({"event_id": "e-1", "type": event_type, **VALID[event_type]})
    assert event.type == event_type
    assert event.occurred_at.tzinfo is not None
    assert event.subject_id in VALID[event_type].values()
    assert "event_id" not in event.payload()


def test_occurred_at_is_normalised_to_utc() -> None:
    event = parse_event(
        {
            "event_id": "e",
            "type": "claim_approved",
            "claim_id": "CLM-1",
            "occurred_at": "2025-03-01T02:00:00+02:00",
        }
    )
    assert event.occurred_at == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "claim_approved", "claim_id": "CLM-1"}, "event_id"),
        ({"event_id": "e", "type": "claim_approved", "claim_id": "X-1"}, "claim_id"),
        ({"event_id": "e", "type": "nope"}, "type"),
        ({"event_id": "e"}, "type"),
        (
            {
                "event_id": "e",
                "type": "claim_approved",
                "claim_id": "CLM-1",
                "occurred_at": "2025-01-01T00:00:00",
            },
            "occurred_at",
        ),
        (
            {"event_id": "e", "type": "claim_fulfilled", "claim_id": "CLM-1", "payout_amount": -1},
            "payout_amount",
        ),
        ({"event_id": "e", "type": "claim_approved", "claim_id": "CLM-1", "extra": 1}, "extra"),
        (
            {**VALID["claim_filed"], "event_id": "e", "type": "claim_filed", "channel": "fax"},
            "channel",
        ),
    ],
)
def test_invalid_events_name_the_field(raw: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(raw)
    problem = validation_problem(info.value, raw)
    assert problem["field"] == field
    assert problem["status"] == 422
    assert {"type", "title", "status", "detail", "field"} <= set(problem)

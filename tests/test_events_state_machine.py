"""Claim and session state machines, checked against an explicit rules table."""

from __future__ import annotations

import pytest

from command_center.ops.state_machine import (
    CLAIM_TRANSITIONS,
    SESSION_TRANSITIONS,
    IllegalTransition,
    next_claim_status,
    next_session_status,
)

CLAIM_STATES = ["filed", "in_review", "approved", "denied", "fulfilled", "cancelled"]
# (from, event) -> to; every pair not listed is illegal
CLAIM_RULES = {
    ("filed", "claim_review_started"): "in_review",
    ("filed", "claim_approved"): "approved",
    ("filed", "claim_denied"): "denied",
    ("in_review", "claim_approved"): "approved",
    ("in_review", "claim_denied"): "denied",
    ("approved", "claim_fulfilled"): "fulfilled",
    ("filed", "claim_cancelled"): "cancelled",
    ("in_review", "claim_cancelled"): "cancelled",
    ("approved", "claim_cancelled"): "cancelled",
}
SESSION_STATES = ["open", "escalated", "resolved"]
SESSION_RULES = {
    ("open", "session_escalated"): "escalated",
    ("open", "session_resolved"): "resolved",
    ("escalated", "session_resolved"): "resolved",
}


@pytest.mark.parametrize("state", CLAIM_STATES)
@pytest.mark.parametrize("event_type", sorted(CLAIM_TRANSITIONS))
def test_claim_rules(state: str, event_type: str) -> None:
    expected = CLAIM_RULES.get((state, event_type))
    if expected is None:
        with pytest.raises(IllegalTransition):
            next_claim_status(state, event_type)
    else:
        assert next_claim_status(state, event_type) == expected


@pytest.mark.parametrize("state", SESSION_STATES)
@pytest.mark.parametrize("event_type", sorted(SESSION_TRANSITIONS))
def test_session_rules(state: str, event_type: str) -> None:
    expected = SESSION_RULES.get((state, event_type))
    if expected is None:
        with pytest.raises(IllegalTransition):
            next_session_status(state, event_type)
    else:
        assert next_session_status(state, event_type) == expected


def test_terminal_claim_states_accept_nothing() -> None:
    for state in ("denied", "fulfilled", "cancelled"):
        for event_type in CLAIM_TRANSITIONS:
            with pytest.raises(IllegalTransition):
                next_claim_status(state, event_type)

"""Claim and session state machines: which event moves an entity from which state to which."""

from __future__ import annotations

CLAIM_STATUSES = ("filed", "in_review", "approved", "fulfilled", "denied", "cancelled")  # lifecycle
CLAIM_OPEN_STATES = frozenset({"filed", "in_review", "approved"})
CLAIM_TERMINAL_STATES = frozenset({"denied", "fulfilled", "cancelled"})
SESSION_ACTIVE_STATES = frozenset({"open", "escalated"})

# event type -> (states it may be applied in, resulting state)
CLAIM_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "claim_review_started": (frozenset({"filed"}), "in_review"),
    "claim_approved": (frozenset({"filed", "in_review"}), "approved"),
    "claim_denied": (frozenset({"filed", "in_review"}), "denied"),
    "claim_fulfilled": (frozenset({"approved"}), "fulfilled"),
    "claim_cancelled": (frozenset({"filed", "in_review", "approved"}), "cancelled"),
}

SESSION_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "session_escalated": (frozenset({"open"}), "escalated"),
    "session_resolved": (frozenset({"open", "escalated"}), "resolved"),
}


class IllegalTransition(ValueError):
    """The event cannot be applied to an entity in its current state."""

    def __init__(self, entity: str, event_type: str, current: str) -> None:
        super().__init__(f"{event_type} is not allowed for a {entity} in state {current!r}")
        self.entity, self.event_type, self.current = entity, event_type, current


def next_claim_status(current: str, event_type: str) -> str:
    """The claim status after `event_type`; raises IllegalTransition when not allowed."""
    allowed, target = CLAIM_TRANSITIONS[event_type]
    if current not in allowed:
        raise IllegalTransition("claim", event_type, current)
    return target


def next_session_status(current: str, event_type: str) -> str:
    """The session status after `event_type`; raises IllegalTransition when not allowed."""
    allowed, target = SESSION_TRANSITIONS[event_type]
    if current not in allowed:
        raise IllegalTransition("session", event_type, current)
    return target

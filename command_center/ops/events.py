"""Operational event taxonomy: a Pydantic discriminated union on `type`.

Entities are referenced by external id (`CUST-…`, `DEV-…`, `CLM-…`, `SES-…`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError

from command_center.db.models import utcnow

# C0 controls (NUL, tab, newline…), DEL and C1 controls belong in no field, and PostgreSQL
# rejects NUL in text (the whole batch would fail). Free-text fields carry this pattern (checked
# in pydantic-core: no Python call per field); ids and codes have stricter patterns; lone UTF-16
# surrogates are rejected by pydantic itself (`string_unicode`).
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"
_NUMBER = re.compile(r"^\s*-?\d+(\.\d*)?\s*$")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The plausible range of `occurred_at` (inclusive)."""

    earliest: datetime
    latest: datetime

    def as_ctx(self) -> dict[str, str]:
        """The bounds for an error message."""
        return {"earliest": self.earliest.isoformat(), "latest": self.latest.isoformat()}


def event_window(now: datetime | None = None) -> TimeWindow:
    """The window from settings: `EVENT_EARLIEST` to now + `EVENT_FUTURE_TOLERANCE_SECONDS`."""
    from command_center.settings import get_settings

    settings = get_settings()
    latest = (now or utcnow()) + timedelta(seconds=settings.event_future_tolerance_seconds)
    return TimeWindow(settings.event_earliest.astimezone(UTC), latest)


def _window(info: ValidationInfo) -> TimeWindow:
    context = info.context
    window = context.get("window") if isinstance(context, dict) else None
    return window if isinstance(window, TimeWindow) else event_window()


def _from_epoch(value: float, window: TimeWindow) -> datetime:
    """A number as seconds, else milliseconds, since the epoch — whichever lands in `window`."""
    lo, hi = window.earliest.timestamp(), window.latest.timestamp()
    if lo <= value <= hi:
        return datetime.fromtimestamp(value, UTC)
    if lo * 1000 <= value <= hi * 1000:
        return datetime.fromtimestamp(value / 1000, UTC)
    raise PydanticCustomError(
        "timestamp_not_epoch",
        "number {value} is neither seconds nor milliseconds since the epoch "
        "between {earliest} and {latest}",
        {"value": value, **window.as_ctx()},
    )


CustomerId = Annotated[str, Field(pattern=r"^CUST-[A-Za-z0-9_-]{1,35}$", max_length=40)]
DeviceId = Annotated[str, Field(pattern=r"^DEV-[A-Za-z0-9_-]{1,36}$", max_length=40)]
ClaimId = Annotated[str, Field(pattern=r"^CLM-[A-Za-z0-9_-]{1,36}$", max_length=40)]
SessionId = Annotated[str, Field(pattern=r"^SES-[A-Za-z0-9_-]{1,36}$", max_length=40)]
Channel = Literal["app", "web", "phone", "retail"]
Label = Annotated[str, Field(min_length=1, max_length=40, pattern=NO_CONTROL_CHARACTERS)]
Reason = Annotated[str, Field(max_length=200, pattern=NO_CONTROL_CHARACTERS)]


class EventBase(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL_CHARACTERS)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)

    @field_validator("occurred_at", mode="wrap")
    @classmethod
    def _plausible(
        cls, at: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> datetime:
        """ISO date-time or epoch seconds/milliseconds, in UTC, inside the window."""
        window = _window(info)
        if (isinstance(at, str) and _NUMBER.match(at)) or (
            isinstance(at, int | float) and not isinstance(at, bool)
        ):
            try:
                seconds = float(at)
            except OverflowError:  # a JSON integer of hundreds of digits
                seconds = math.inf if int(at) > 0 else -math.inf
            at = _from_epoch(seconds, window)
        try:
            at = handler(at).astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError(
                "timestamp_overflow", "date-time is out of range once converted to UTC"
            ) from None
        if not window.earliest <= at <= window.latest:
            raise PydanticCustomError(
                "timestamp_out_of_window",
                "{value} is outside the accepted window {earliest} .. {latest}",
                {"value": at.isoformat(), **window.as_ctx()},
            )
        return at

    @property
    def subject_id(self) -> str:
        """External id of the entity the event is about."""
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        """Type-specific fields as JSON-ready data (what the `events.payload` column stores)."""
        return self.model_dump(mode="json", exclude={"event_id", "type", "occurred_at"})


class _ClaimEvent(EventBase):
    claim_id: ClaimId

    @property
    def subject_id(self) -> str:
        return self.claim_id


class ClaimFiled(_ClaimEvent):
    """A customer filed a claim on one of their devices."""

    type: Literal["claim_filed"] = "claim_filed"
    customer_id: CustomerId
    device_id: DeviceId
    loss_type: Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$")]
    channel: Channel
    region: Label | None = None


class ClaimReviewStarted(_ClaimEvent):
    """An adjuster started reviewing a filed claim."""

    type: Literal["claim_review_started"] = "claim_review_started"


class ClaimApproved(_ClaimEvent):
    """The claim was approved."""

    type: Literal["claim_approved"] = "claim_approved"


class ClaimDenied(_ClaimEvent):
    """The claim was denied (terminal)."""

    type: Literal["claim_denied"] = "claim_denied"
    reason: Reason | None = None


class ClaimFulfilled(_ClaimEvent):
    """An approved claim was paid out / the device replaced (terminal)."""

    type: Literal["claim_fulfilled"] = "claim_fulfilled"
    # NUMERIC(10, 2) holds at most 99,999,999.99: a larger amount (99,999,999.995 rounds to
    # 100,000,000.00) failed the whole batch on PostgreSQL with a numeric overflow (a 500)
    payout_amount: Annotated[float, Field(ge=0, le=99_999_999.99)]


class ClaimCancelled(_ClaimEvent):
    """The claim was withdrawn before fulfilment (terminal)."""

    type: Literal["claim_cancelled"] = "claim_cancelled"
    reason: Reason | None = None


class DeviceRegistered(EventBase):
    """A customer registered a new device."""

    type: Literal["device_registered"] = "device_registered"
    device_id: DeviceId
    customer_id: CustomerId
    make: Label
    model: Annotated[str, Field(min_length=1, max_length=80, pattern=NO_CONTROL_CHARACTERS)]
    category: Literal["phone", "tablet", "laptop", "wearable"] = "phone"

    @property
    def subject_id(self) -> str:
        return self.device_id


class PlanEnrolled(EventBase):
    """A device was enrolled in a coverage plan (by plan code)."""

    type: Literal["plan_enrolled"] = "plan_enrolled"
    device_id: DeviceId
    plan_code: Label

    @property
    def subject_id(self) -> str:
        return self.device_id


class PlanCancelled(EventBase):
    """A device's coverage plan was cancelled."""

    type: Literal["plan_cancelled"] = "plan_cancelled"
    device_id: DeviceId

    @property
    def subject_id(self) -> str:
        return self.device_id


class _SessionEvent(EventBase):
    session_id: SessionId

    @property
    def subject_id(self) -> str:
        return self.session_id


class SessionOpened(_SessionEvent):
    """A support session was opened."""

    type: Literal["session_opened"] = "session_opened"
    customer_id: CustomerId
    device_id: DeviceId | None = None
    claim_id: ClaimId | None = None
    channel: Channel
    topic: Annotated[str, Field(min_length=1, max_length=80, pattern=NO_CONTROL_CHARACTERS)] = (
        "general"
    )


class SessionEscalated(_SessionEvent):
    """An open session was escalated."""

    type: Literal["session_escalated"] = "session_escalated"


class SessionResolved(_SessionEvent):
    """A session was resolved (terminal)."""

    type: Literal["session_resolved"] = "session_resolved"


OpsEvent = Annotated[
    ClaimFiled
    | ClaimReviewStarted
    | ClaimApproved
    | ClaimDenied
    | ClaimFulfilled
    | ClaimCancelled
    | DeviceRegistered
    | PlanEnrolled
    | PlanCancelled
    | SessionOpened
    | SessionEscalated
    | SessionResolved,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[OpsEvent] = TypeAdapter(OpsEvent)
EVENT_TYPES: tuple[str, ...] = (
    "claim_filed",
    "claim_review_started",
    "claim_approved",
    "claim_denied",
    "claim_fulfilled",
    "claim_cancelled",
    "device_registered",
    "plan_enrolled",
    "plan_cancelled",
    "session_opened",
    "session_escalated",
    "session_resolved",
)


def parse_event(raw: Any, window: TimeWindow | None = None) -> OpsEvent:
    """Validate one raw event (dict); raises `pydantic.ValidationError`.

    `occurred_at` must fall in `window` (default: `event_window()`, from settings).
    """
    return EVENT_ADAPTER.validate_python(raw, context={"window": window or event_window()})


def error_field(error: dict[str, Any], raw: Any) -> str:
    """The dotted field name a validation error is about (the union tag is stripped)."""
    kind = error.get("type", "")
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        return "type"
    loc = [str(part) for part in error.get("loc", ())]
    if loc and isinstance(raw, dict) and loc[0] == raw.get("type"):
        loc = loc[1:]
    return ".".join(loc) or "body"


def validation_problem(exc: ValidationError, raw: Any) -> dict[str, Any]:
    """An RFC 7807 problem dict for an event that failed validation (names the first field)."""
    first = exc.errors()[0]
    field = error_field(first, raw)
    reason, message = first["type"], first["msg"]
    if (
        reason == "string_pattern_mismatch"
        and (first.get("ctx") or {}).get("pattern") == NO_CONTROL_CHARACTERS
    ):
        reason, message = "control_character", "text must not contain control characters"
    return {
        "type": "/problems/invalid-event",
        "title": "Invalid event",
        "status": 422,
        "detail": f"{field}: {message}",
        "field": field,
        "reason": reason,
    }

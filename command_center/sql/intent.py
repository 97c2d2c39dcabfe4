"""The data intent: what a widget wants from a metric (reused as WidgetSpec.data_intent)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Period = Literal[
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
]
PERIODS: tuple[str, ...] = Period.__args__  # type: ignore[attr-defined]

# Size limits (a dimension name is a dictionary column; values as in the records intent).
# Filter keys are not bounded by a key schema (`propertyNames` is not for the LLM tool
# schema): the compiler refuses any key that is not one of the metric's dimensions.
MAX_DIMENSIONS = 30
MAX_WINDOW_DAYS = 1826  # five years: a trailing window, and an absolute range's span
FIRST_DATE = date(2000, 1, 1)  # an absolute range lies within these (UTC calendar days)
LAST_DATE = date(2099, 12, 31)
MAX_VALUES = 50
Name = Annotated[str, Field(max_length=80)]
Value = Annotated[str, Field(max_length=200)]
Values = Annotated[list[Value], Field(max_length=MAX_VALUES)]


def _unset(value: object) -> bool:
    return value is None


class DataIntent(BaseModel):
    """A request for a metric's data: grouping, equality/IN filters, window, refresh, limit.

    `window_days` None means "the metric's default window"; `filters` map a dimension to one
    value (equality) or a list of values (IN); `exclude` maps a dimension to values to leave
    out (NOT IN). `period` is a calendar window (UTC) that, when set, replaces the trailing
    `window_days` (which then only says its approximate length); `start`/`end` (UTC calendar
    days, both inclusive, given together) are an absolute range that replaces both. `sort`
    orders grouped rows by value (default: descending). `time_column` names the dated event
    the time axis and window use (a date column of the metric's table, e.g. `resolved_at` for
    "claims resolved per week"); None = the metric's own time column. A time series is the
    pseudo-dimension `hour`, `day`, `week` or `month` in `dimensions`.
    """

    model_config = ConfigDict(extra="forbid")

    entity: str | None = Field(default=None, max_length=80)
    metric: str = Field(max_length=80)
    dimensions: list[Name] = Field(default_factory=list, max_length=MAX_DIMENSIONS)
    filters: dict[str, Value | Values] = Field(default_factory=dict, max_length=MAX_DIMENSIONS)
    exclude: dict[str, Values] = Field(default_factory=dict, max_length=MAX_DIMENSIONS)
    period: Period | None = None
    sort: Literal["desc", "asc"] | None = None
    # left out of dumps when unset: specs without a range dump (and hash) as before
    start: date | None = Field(default=None, ge=FIRST_DATE, le=LAST_DATE, exclude_if=_unset)
    end: date | None = Field(default=None, ge=FIRST_DATE, le=LAST_DATE, exclude_if=_unset)
    time_column: Name | None = Field(default=None, exclude_if=_unset)
    window_days: int | None = Field(default=None, ge=1, le=MAX_WINDOW_DAYS)
    refresh_seconds: int = Field(default=60, ge=1)
    limit: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _absolute_range(self) -> Self:
        """`start` and `end` come together, in order, at most `MAX_WINDOW_DAYS` apart."""
        check_range(self.start, self.end)
        return self


def check_range(start: date | None, end: date | None) -> None:
    """Raise `ValueError` unless `start`..`end` (inclusive) is a usable absolute range (or
    both are None)."""
    if (start is None) != (end is None):
        raise ValueError("an absolute range needs both a start and an end date")
    if start is None or end is None:
        return
    if start > end:
        raise ValueError("the start date is after the end date")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise ValueError(f"an absolute range spans at most {MAX_WINDOW_DAYS} days")


class DataIntentLike(Protocol):
    """Anything shaped like `DataIntent` (the compiler reads only these attributes)."""

    @property
    def metric(self) -> str: ...

    @property
    def dimensions(self) -> list[str]: ...

    @property
    def filters(self) -> dict[str, str | list[str]]: ...

    @property
    def window_days(self) -> int | None: ...

    @property
    def limit(self) -> int | None: ...

"""The data intent: what a widget wants from a metric (reused as WidgetSpec.data_intent)."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

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


class DataIntent(BaseModel):
    """A request for a metric's data: grouping, equality/IN filters, window, refresh, limit.

    `window_days` None means "the metric's default window"; `filters` map a dimension to one
    value (equality) or a list of values (IN); `exclude` maps a dimension to values to leave
    out (NOT IN). `period` is a calendar window (UTC) that, when set, replaces the trailing
    `window_days` (which then only says its approximate length). `sort` orders grouped rows by
    value (default: descending).
    """

    model_config = ConfigDict(extra="forbid")

    entity: str | None = None
    metric: str
    dimensions: list[str] = Field(default_factory=list)
    filters: dict[str, str | list[str]] = Field(default_factory=dict)
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    period: Period | None = None
    sort: Literal["desc", "asc"] | None = None
    window_days: int | None = Field(default=None, ge=1, le=1826)  # five years
    refresh_seconds: int = Field(default=60, ge=1)
    limit: int | None = Field(default=None, ge=1)


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

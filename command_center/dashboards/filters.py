"""Dashboard time range and filters: which widgets they apply to, and how.

`config/dashboard_filters.yaml` names the filters (region, product, make, channel), the
columns each one means and the range presets. A range is a preset, the last N days
(`custom:N`) or an absolute range of calendar days (`from`/`to`, both inclusive, UTC). A
choice becomes part of each widget's data intent (`window_days`, or `start`/`end`;
`filters`), so the widget-data cache key includes it; a widget whose metric cannot honour a
filter keeps its data and gets a note saying so; a filter narrows a widget's own filter on
the same column and never replaces it.

`parse_choice` is the one strict reading of a choice (the filter bar's handlers and `/v1`);
`ViewChoice.from_params` is the lenient one for a link (unusable parts are dropped).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.intent import FIRST_DATE, LAST_DATE, MAX_WINDOW_DAYS, check_range

CONFIG = Path(__file__).resolve().parents[2] / "config" / "dashboard_filters.yaml"
MAX_DAYS = MAX_WINDOW_DAYS  # the data intent's own limit on window_days and on a range's span
MAX_VALUE = 120
MAX_PARAMS = 12  # range, from, to and the filters, with room to spare
CUSTOM_PREFIX = "custom:"  # "custom:14" = the last 14 days
DATE_LENGTH = 10  # YYYY-MM-DD
MAX_RANGE_CHARS = 20


class ChoiceError(ValueError):
    """A time range or filter that cannot be applied; `field` names the URL parameter."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FilterConfig:
    """The filters (key → label, columns) and range presets (id → label, days)."""

    filters: dict[str, dict[str, Any]]
    ranges: dict[str, dict[str, Any]]


@lru_cache(maxsize=1)
def load_config(path: Path = CONFIG) -> FilterConfig:
    """Read `config/dashboard_filters.yaml` (once per process)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    ranges = {str(r["id"]): {"label": r["label"], "days": int(r["days"])} for r in raw["ranges"]}
    return FilterConfig(filters=dict(raw["filters"]), ranges=ranges)


@dataclass
class ViewChoice:
    """What the operator chose: a range (preset id or `custom:N`) or an absolute range
    (`start`..`end`, inclusive), and filter values."""

    range: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_params(
        cls, params: Mapping[str, str], allowed: Mapping[str, Collection[str]] | None = None
    ) -> ViewChoice:
        """From a link's query parameters; unknown keys and unusable values are dropped (with
        `allowed`, so are filter values it does not list)."""
        choice = cls()
        _lenient(lambda: setattr(choice, "range", parse_range(params.get("range", ""))))
        if params.get("from") or params.get("to"):
            dates = _lenient(lambda: parse_dates(params.get("from", ""), params.get("to", "")))
            if dates is not None:
                choice.range, (choice.start, choice.end) = "", dates
        for key in load_config().filters:
            value = str(params.get(key) or "")[:MAX_VALUE]
            if value and (allowed is None or value in allowed.get(key, ())):
                choice.filters[key] = value
        return choice

    def params(self) -> dict[str, str]:
        """As URL query parameters (empty ones left out)."""
        days = {"from": self.start.isoformat(), "to": self.end.isoformat()} if self.end else {}
        both = {"range": self.range, **days, **self.filters}
        return {k: v for k, v in both.items() if v}

    @property
    def active(self) -> bool:
        """Whether anything is chosen."""
        return bool(self.range or self.start or self.filters)


def _lenient(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except ChoiceError:
        return None


def parse_range(value: str) -> str:
    """A preset id or `custom:N` ("" = each widget's own window); `ChoiceError` otherwise."""
    value = str(value or "")
    if value and (len(value) > MAX_RANGE_CHARS or range_days(value) is None):
        presets = ", ".join(load_config().ranges)
        raise ChoiceError(
            f"unknown time range: use one of {presets}, custom:N (1–{MAX_DAYS}) or from/to",
            "range",
        )
    return value


def _day(value: str, name: str) -> date:
    text = str(value or "").strip()
    if not text:
        raise ChoiceError(f"the {name} date is missing", name)
    if len(text) != DATE_LENGTH:
        raise ChoiceError(f"the {name} date must look like 2026-01-31", name)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ChoiceError(f"the {name} date {text!r} is not a calendar date", name) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ChoiceError(f"the {name} date must lie between {FIRST_DATE} and {LAST_DATE}", name)
    return day


def parse_dates(start: str, end: str) -> tuple[date, date]:
    """An absolute range of calendar days from `YYYY-MM-DD` texts: start ≤ end, at most
    `MAX_DAYS` days; `ChoiceError` (naming `from` or `to`) otherwise."""
    first, last = _day(start, "from"), _day(end, "to")
    try:
        check_range(first, last)
    except ValueError as exc:
        raise ChoiceError(str(exc), "to" if first <= last else "from") from None
    return first, last


def parse_choice(
    params: Mapping[str, str], allowed: Mapping[str, Collection[str]] | None = None
) -> ViewChoice:
    """The strict reading of a range and filters (`range`, `from`/`to`, a filter key each):
    the first unusable part raises `ChoiceError` with a readable message. With `allowed`
    (filter key → its known values, see `allowed_values`), a filter value must be one of
    them: made-up values would each be a new cache entry and a new query."""
    if len(params) > MAX_PARAMS:
        raise ChoiceError(f"at most {MAX_PARAMS} range and filter parameters", "params")
    filters = load_config().filters
    for key in params:
        if key not in {"range", "from", "to", *filters}:
            raise ChoiceError(f"unknown parameter {str(key)[:40]!r}", str(key)[:40])
    choice = ViewChoice(range=parse_range(params.get("range", "")))
    if params.get("from") or params.get("to"):
        if choice.range:
            raise ChoiceError("give either a range or from/to, not both", "range")
        choice.start, choice.end = parse_dates(params.get("from", ""), params.get("to", ""))
    for key in filters:
        value = str(params.get(key) or "")
        if len(value) > MAX_VALUE:
            raise ChoiceError(f"a {key} value has at most {MAX_VALUE} characters", key)
        if value and allowed is not None and value not in allowed.get(key, ()):
            label = str(filters[key].get("label", key))
            raise ChoiceError(f"{label} {value!r} is not one of the known values", key)
        if value:
            choice.filters[key] = value
    return choice


def range_days(choice: str) -> int | None:
    """Days of a preset id or `custom:N`; None for "" or anything unusable."""
    if choice.startswith(CUSTOM_PREFIX):
        digits = choice[len(CUSTOM_PREFIX) :]
        return int(digits) if digits.isdigit() and 1 <= int(digits) <= MAX_DAYS else None
    preset = load_config().ranges.get(choice)
    return preset["days"] if preset else None


def filter_column(metric: MetricDefinition | None, key: str) -> str | None:
    """The metric's column that filter `key` means, or None when it cannot be honoured."""
    if metric is None:
        return None
    columns = load_config().filters.get(key, {}).get("columns", [])
    return next((c for c in columns if c in metric.dimensions), None)


def apply_choice(
    spec: dict[str, Any], metric: MetricDefinition | None, choice: ViewChoice
) -> tuple[dict[str, Any], list[str]]:
    """The spec the widget is resolved with under `choice`, and notes for what it ignores."""
    if not choice.active:
        return spec, []
    intent = spec.get("data_intent") or {}
    if "metric" not in intent or metric is None:
        return spec, ["Dashboard time range and filters do not apply to this widget"]
    applied = copy.deepcopy(spec)
    new_intent = applied["data_intent"]
    notes = []
    days = range_days(choice.range)
    if choice.start and choice.end:
        days = (choice.end - choice.start).days + 1
    if days is not None and metric.window_days is not None:
        new_intent.pop("period", None)  # the dashboard's range replaces the widget's own
        new_intent["window_days"] = days  # an absolute range: its approximate length
        if choice.start and choice.end:
            new_intent["start"], new_intent["end"] = (
                choice.start.isoformat(),
                choice.end.isoformat(),
            )
        else:
            new_intent.pop("start", None), new_intent.pop("end", None)
    elif days is not None:  # a point-in-time metric (open claims now): no window to set
        notes.append("Not limited by the time range")
    labels = load_config().filters
    for key, value in choice.filters.items():
        column = filter_column(metric, key)
        label = labels.get(key, {}).get("label", key).lower()
        if column is None:
            notes.append(f"Not filtered by {label}")
            continue
        own = new_intent.get("filters", {}).get(column)
        if own is not None and value not in ([own] if isinstance(own, str) else own):
            notes.append(f"Not filtered by {label}: the widget shows only its own")
            continue  # a dashboard filter narrows a widget's own filter, never replaces it
        new_intent.setdefault("filters", {})[column] = value
    return applied, notes


def filter_options(known: dict[tuple[str, str], list[str]]) -> list[dict[str, Any]]:
    """Each filter's key, label and choices: the known values of its columns, merged."""
    options = []
    for key, entry in load_config().filters.items():
        values: set[str] = set()
        for (_table, column), found in known.items():
            if column in entry["columns"]:
                values.update(found)
        options.append({"key": key, "label": entry["label"], "values": sorted(values)})
    return options


def allowed_values(options: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Filter key → its known values, from `filter_options`' output."""
    return {str(o["key"]): set(o["values"]) for o in options}


def range_options() -> list[dict[str, str]]:
    """The presets as (id, label)."""
    return [{"id": k, "label": v["label"]} for k, v in load_config().ranges.items()]

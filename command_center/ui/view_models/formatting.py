"""Human labels and unit-aware numbers for the UI.

Labels: database words (`in_review`, `water_damage`, `loss_type`) become sentence case ("In
review", "Water damage", "Loss type"); words spelled differently on screen (acronyms such as
SLA) come from `data-dictionary/labels.csv`, not from code. Metric names come from the catalog.
Numbers: thousands separators, currency, percent, hours; a missing value is "—".
"""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

LABELS_CSV = Path(__file__).resolve().parents[3] / "data-dictionary" / "labels.csv"
MISSING = "—"
# a widget spec's value_format → the unit the numbers are formatted in
VALUE_UNITS = {"number": "count", "percent": "ratio", "currency": "currency", "hours": "hours"}
_SPLIT = re.compile(r"[_\s]+")


@lru_cache(maxsize=1)
def _spellings() -> dict[str, str]:
    try:
        with LABELS_CSV.open(newline="", encoding="utf-8") as handle:
            return {row["word"].lower(): row["label"] for row in csv.DictReader(handle)}
    except FileNotFoundError:
        return {}


def humanize(word: Any) -> str:
    """`in_review` → "In review"; `sla_breaches` → "SLA breaches"; non-words are kept."""
    text = str(word if word is not None else "").strip()
    if (
        not text
        or not re.fullmatch(r"[A-Za-z0-9_ ]+", text)
        or ("_" not in text and text != text.lower())
    ):
        return text  # already a display value ("Apple", "West", "iPhone 15")
    spellings = _spellings()
    words = [w for w in _SPLIT.split(text) if w]
    shown = [spellings.get(w.lower(), w.lower()) for w in words]
    first = shown[0]
    if first == words[0].lower():
        shown[0] = first[:1].upper() + first[1:]
    return " ".join(shown)


def number(value: Any) -> float | None:
    """`value` as a finite float, or None (missing, not numeric, NaN)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def format_value(value: Any, unit: str) -> str:
    """A number for display in `unit` (count | ratio | percent | currency | hours | rate)."""
    amount = number(value)
    if amount is None:
        return MISSING
    if unit in ("ratio", "percent"):
        return f"{amount * 100:,.1f}%"
    if unit == "hours":
        return f"{amount:,.1f} h"
    if unit == "currency":
        return f"${amount:,.2f}" if abs(amount) < 100 else f"${amount:,.0f}"
    if unit == "rate":
        return f"{amount:,.1f}/min"
    return _plain(amount)


def _plain(amount: float) -> str:
    if amount == int(amount):
        return f"{int(amount):,}"
    return f"{amount:,.2f}".rstrip("0").rstrip(".")


def format_cell(value: Any) -> str:
    """A table cell that is not the measure: numbers with separators, words humanised."""
    if value is None:
        return MISSING
    amount = number(value) if isinstance(value, int | float) else None
    if amount is not None:
        return _plain(amount)
    return humanize(value)


def unit_of(spec: dict[str, Any]) -> str:
    """The unit a widget's values are shown in."""
    return VALUE_UNITS.get(str(spec.get("value_format") or "number"), "count")


# how a time-series bucket reads on an axis, by grain (a day stays ISO: 2030-01-31)
_GRAIN_FORMATS = {"hour": "%b %d %H:00", "week": "Wk of %b %d", "month": "%b %Y"}


def time_label(grain: str, value: Any) -> str:
    """A time bucket as an axis label: hour "Jan 31 14:00", week "Wk of Jan 27" (its Monday),
    month "Jan 2030"; a day, an unknown grain or an unreadable value is shown as given."""
    text = str(value if value is not None else "").strip()
    pattern = _GRAIN_FORMATS.get(grain)
    if not pattern or not text:
        return text
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return stamp.strftime(pattern)

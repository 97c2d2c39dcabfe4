"""Time windows named in a request: the trailing or calendar window ("last 30 days", "this
quarter", "since Monday", a year by number), and why a window cannot be trusted (no amount,
under a day, two that disagree, a year other than this or last)."""

from __future__ import annotations

import re
from datetime import date

from command_center.semantic import grammar

# a calendar year by number: this year or last year ("payouts for 2026"); another year asks
CALENDAR_YEAR = re.compile(r"\b(20\d\d)\b")


def window(text: str, today: date | None = None) -> tuple[int | None, str | None]:
    """(window_days, calendar period) named in normalised `text`."""
    found = grammar.TRAILING.search(text)
    if found:
        amount = found.group(1)
        number = int(amount) if amount.isdigit() else grammar.NUMBER_WORDS.get(amount)
        if number:
            return max(1, round(number * grammar.UNIT_DAYS[found.group(2)])), None
    since = grammar.SINCE_WEEKDAY.search(text)
    if since:
        if since.group(1) == "monday":
            return 7, "this_week"
        today = today or date.today()
        back = (today.weekday() - grammar.WEEKDAYS.index(since.group(1))) % 7
        return back + 1, None
    for pattern, days, period in grammar.FIXED_WINDOWS:
        if re.search(pattern, text):
            return days, period
    year = CALENDAR_YEAR.search(text)
    if year and year_period(int(year.group(1)), today):
        return 365, year_period(int(year.group(1)), today)
    found = grammar.SHORT_DAYS.search(text)
    if found:
        unit = found.group(2)[0]
        factor = {"d": 1, "w": 7, "m": 30}[unit]
        return int(found.group(1)) * factor, None
    return None, None


def year_period(year: int, today: date | None = None) -> str | None:
    """The calendar period of a year by number: `this_year`, `last_year`, else None."""
    current = (today or date.today()).year
    return {current: "this_year", current - 1: "last_year"}.get(year)


def window_doubt(text: str) -> str | None:
    """Why the window named in `text` cannot be trusted: an amount that is not a number
    ("last few days"), less than a day ("last 2 hours"), or two windows that disagree
    ("today vs yesterday"); None when there is at most one clear window."""
    readings: set[tuple[int, str | None]] = set()
    for found in grammar.TRAILING.finditer(text):
        amount = grammar.number(found.group(1))
        if not amount:
            return f"no amount in {found.group(0)!r}"
        if found.group(2) == "hour" and amount < 24:
            return f"a window shorter than a day ({found.group(0)!r})"
        readings.add((max(1, round(amount * grammar.UNIT_DAYS[found.group(2)])), None))
    if re.search(r"\b(last|past|previous|this) hour\b|(?<!by )\bthe hour\b", text):
        return "a window shorter than a day"
    for pattern, days, period in grammar.FIXED_WINDOWS:
        if re.search(pattern, text):
            readings.add((days, period))
    for year in CALENDAR_YEAR.finditer(text):
        period = year_period(int(year.group(1)))
        if period is None:
            return f"a calendar year other than this or last ({year.group(1)})"
        readings.add((365, period))
    if not readings:
        for found in grammar.SHORT_DAYS.finditer(text):
            readings.add((int(found.group(1)) * {"d": 1, "w": 7, "m": 30}[found.group(2)[0]], None))
    if len({days for days, _p in readings}) > 1 or len({p for _d, p in readings if p}) > 1:
        return "the request names more than one time window"
    return None

"""Values read as a share ("denial rate", "% of claims that got denied")."""

from __future__ import annotations

import re

from command_center.semantic import grammar
from command_center.semantic.scan import Scan, Span

_RELATIVE = {"that", "which", "who"}  # "claims that got denied"
# "share of claims via app", "percentage of claims from the web": the value's own preposition
_LINKS = {"via", "from", "through", "in", "on", "the", "a", "an"}


def _is_rate(found: Scan, at: int) -> bool:
    return 0 <= at < len(found.words) and bool(re.match(grammar.RATE_WORDS, found.words[at]))


def is_share(found: Scan, span: Span, index: int) -> bool:
    """A value named as a share ("denial rate", "denied claims ratio", "share of denied
    claims", "percentage of claims denied"); marks the rate word as grammar."""
    spans = found.spans
    after = spans[index + 1] if index + 1 < len(spans) else None
    before = spans[index - 1] if index > 0 else None
    at = [span.end]  # "denial rate"
    if after is not None and after.start == span.end and after.of("table"):
        at.append(after.end)  # "denied claims rate"
    lead = span.start
    verbs = set(found.words[before.end : span.start]) if before is not None else {"-"}
    links = set() if re.search(r"\b(vs|versus)\b", found.text) else _LINKS  # a split, not a share
    everyday = grammar.FILLER - {"by", "per", "and", "or", "vs", "versus", "across", "each"}
    linked = verbs <= grammar.AUXILIARIES | _RELATIVE | links | (everyday if links else set())
    if before is not None and before.of("table") and linked and not _foreign(before, span):
        lead = before.start  # "share of claims denied", "share of claims that got denied"
        prior = spans[index - 2] if index > 1 else None
        described = prior and (prior.tags == prior.of("column") or prior.of("value"))
        if prior and described and prior.end == lead and not prior.of("metric"):
            lead = prior.start  # "share of decided claims got rejected", "of theft claims got"
    lead -= 1
    while lead >= 0 and found.words[lead] in ("the", "all"):
        lead -= 1
    if lead >= 0 and found.words[lead] == "of" and not _qualifies_share(found, index):
        at.append(lead - 1)  # "share of denied claims", "rate of escalation"
    for position in at:
        if _is_rate(found, position):
            found.grammar.add(position)
            return True
    return False


def _qualifies_share(found: Scan, index: int) -> bool:
    """Whether the value at `index` is followed by its table and, across only auxiliaries or a
    relative word, by another value: that value is the share, this one describes the rows ("%
    of theft claims got denied": the denial share of theft claims)."""
    spans = found.spans
    if index + 2 >= len(spans):
        return False
    table, share = spans[index + 1], spans[index + 2]
    if table.start != spans[index].end or not table.of("table") or not share.of("value"):
        return False
    return set(found.words[table.end : share.start]) <= grammar.AUXILIARIES | _RELATIVE


def _foreign(table: Span, value: Span) -> bool:
    """Whether `value` names no column of the table word before it ("share of claims from
    enterprise customers": the segment is the customers', so the share is not the claims')."""
    named = {t.table for t in table.of("table")}
    own = {t.table.split(".")[-1].split("_")[-1].rstrip("s") for t in value.of("value")}
    return not any(t.split(".")[-1].split("_")[-1].rstrip("s") in own for t in named)

"""Grammar cues the role assignment reads around the scanned phrases: rankings (top/bottom
N, "which … the most"), negations after their values, aggregates that restate a metric, and
comparisons of values of one column."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING

from command_center.semantic import grammar
from command_center.semantic.layer import SemanticLayer, Tag
from command_center.semantic.scan import Scan, Span

# one shared list: roles.py reads it too
JOINERS = {"and", "or", "the", "a", "an", "nor", "plus", "&"}

if TYPE_CHECKING:
    from command_center.semantic.roles import Roles


def restated_aggregate(found: Scan, span: Span, layer: SemanticLayer) -> None:
    """An aggregate word right before a metric phrase whose measure is already that aggregate
    ("avg hours to resolve", "mean resolution time"), or "on average" with such a metric,
    restates it: grammar, not a measure."""
    metrics = [layer.metric(t.name) for t in span.of("metric")]

    def restates(aggregate: str | None) -> bool:
        return bool(aggregate) and all(
            m is not None and re.sub(r"\s+", "", m.measure).upper().startswith(f"{aggregate}(")
            for m in metrics
        )

    word = found.words[span.start - 1] if span.start else ""
    if restates(grammar.AGGREGATES.get(word)):
        found.grammar.add(span.start - 1)
    if restates("AVG"):
        found.mark(r"\bon (?:average|avg)\b")


def postfix_negated(found: Scan) -> set[int]:
    """Starts of the value spans a negation after them excludes ("tablets excluded", "theft
    and loss left out"); the negation's words become grammar."""
    out: set[int] = set()
    for index, span in enumerate(found.spans):
        tail = " ".join(found.words[span.end :])
        match = grammar.POSTFIX_NEGATIONS.match(tail) if span.of("value") else None
        if match is None:
            continue
        found.grammar.update(range(span.end, span.end + len(match.group(0).split())))
        out.add(span.start)
        for before, after in pairwise(reversed(found.spans[: index + 1])):
            between = set(found.words[before.end : after.start])
            if not before.of("value") or not between <= JOINERS:
                break
            out.add(before.start)
    return out


def top_n(found: Scan, roles: Roles) -> None:
    """Top/bottom N (the first match with a number wins; "most claims … top 3" is 3; "which 3
    models … the most" is a top 3)."""
    which = grammar.WHICH_N.search(found.text)
    amount = grammar.number(which.group(1)) if which else None
    later = found.text[which.end() :] if which else ""
    orders = ((grammar.MOST_WORDS, "desc"), (grammar.LEAST_WORDS, "asc"))
    if which and any(re.search(pattern, later) for pattern, _sort in orders):
        roles.ranked = _words_before(found, which.end() if amount else which.start(1))
        roles.sort = next(sort for pattern, sort in orders if re.search(pattern, later))
    if which and amount and amount > 1:
        for pattern, sort in orders:
            if re.search(pattern, later):
                roles.limit, roles.sort = amount, sort
                found.mark(rf"\b{re.escape(which.group(0))}\b")
                found.mark(pattern)
                return
    rank = grammar.RANK_WORDS.search(found.text)
    if rank:  # "rank channels by average payout"
        roles.sort = roles.sort or "desc"
        roles.ranked = _words_before(found, rank.end())
        found.mark(grammar.RANK_WORDS.pattern)
    for pattern, sort in ((grammar.TOP, "desc"), (grammar.BOTTOM, "asc")):
        for match in pattern.finditer(found.text):
            amount = grammar.number(match.group(2))
            before = found.text[: match.start()].split()[-2:]
            if amount and re.search(grammar.NEGATIONS, " ".join(before)):
                roles.unused.append(match.group(0))  # "excluding the top one": not a limit
                return
            if amount:  # only this match: "most claims … top 3" keeps "claims"
                roles.limit, roles.sort = amount, sort
                found.mark(rf"\b{re.escape(match.group(0))}\b")
                if roles.ranked < 0:
                    roles.ranked = _words_before(found, match.end())
                return
            roles.sort = roles.sort or sort


def _words_before(found: Scan, at: int) -> int:
    """The index of the word that starts at or after character `at` of the text."""
    return len(found.text[:at].split())


def compare(found: Scan, roles: Roles) -> None:
    """ "compare app and web claims": two values of one column → that column is a dimension."""
    if not re.search(r"\b(compare|comparing|vs|versus)\b", found.text) or len(roles.values) < 2:
        return
    per_table: dict[tuple[str, str], int] = {}
    for tags in roles.values:
        for tag in {(t.table, t.column) for t in tags}:
            per_table[tag] = per_table.get(tag, 0) + 1
    for (table, column), count in per_table.items():
        if count >= 2:
            roles.compare_column[table] = column


def noun_of(found: Scan, index: int, span: Span, roles: Roles) -> list[Tag]:
    """A value word that also names a table, right after a value of that table ("Samsung
    phones": the devices' category, not the claims' channel), is that table's value, and names
    the table; else every value tag."""
    tables = {t.table for t in span.of("table")}
    before = found.spans[index - 1] if index else None
    after = found.spans[index + 1] if index + 1 < len(found.spans) else None
    if after is not None and after.start == span.end and after.of("table"):
        return span.of("value")  # "active phone cases": an adjective of the cases
    if not tables or before is None or before.end != span.start:
        return span.of("value")
    if not {t.table for t in before.of("value")} & tables:
        return span.of("value")
    roles.qualified_tables = True
    for table in sorted(tables):
        if table not in roles.named_tables:
            roles.named_tables.append(table)
        if before.start > 0:  # "claims for Samsung phones": the phones describe the claims
            roles.described.append(table)
    return [t for t in span.of("value") if t.table in tables]


def own_date_table(roles: Roles, layer: SemanticLayer) -> list[str]:
    """With no table or metric named, one event phrase naming exactly one table's own time
    column ("signups": customers.created_at) names that table: its rows by that date."""
    if roles.named_tables or roles.metric_spans or roles.measures or len(roles.events) != 1:
        return []
    owners = {
        t.table
        for t in roles.events[0]
        if (info := layer.dictionary.tables.get(t.table)) and info.time_column == t.column
    }
    return sorted(owners) if len(owners) == 1 else []

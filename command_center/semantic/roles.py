"""Give each scanned phrase its role: metric, measure, table, dimension, filter or exclusion."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from command_center.semantic import grammar
from command_center.semantic.compose import compatible
from command_center.semantic.cues import (
    JOINERS,
    compare,
    noun_of,
    own_date_table,
    postfix_negated,
    restated_aggregate,
    top_n,
)
from command_center.semantic.layer import TIME_DIMENSION, SemanticLayer, Tag, metric_phrases
from command_center.semantic.scan import Scan, Span, splittable
from command_center.semantic.shares import is_share
from command_center.semantic.text import key

_TIME_WORDS = {"day", "date", "daily", "week", "weekly", "month", "monthly", "hour", "hourly"}
_TAIL_GROUP = re.compile(r"^(breakdown|split|distribution|mix|share|spread)$")


@dataclass
class Roles:
    """The request's phrases by role (tags still unresolved to one table)."""

    metric_spans: list[tuple[Span, list[Tag]]] = field(default_factory=list)
    measures: list[tuple[str, list[Tag]]] = field(default_factory=list)  # (AGG, column tags)
    rates: list[list[Tag]] = field(default_factory=list)  # value tags read as "<value> rate"
    split_rate: bool = False  # a multi-word value read as a rate whose words each name things
    measure_starts: set[int] = field(default_factory=set)  # spans read as an aggregate
    tables: list[str] = field(default_factory=list)  # named, plus same-entity tables
    named_tables: list[str] = field(default_factory=list)  # named only
    qualified_tables: bool = False  # "Samsung devices", "denied claims"
    described: list[str] = field(default_factory=list)  # tables named after a value, mid-request
    counting: bool = False
    values: list[list[Tag]] = field(default_factory=list)
    negated: list[list[Tag]] = field(default_factory=list)
    dimensions: list[list[Tag] | str] = field(default_factory=list)
    compare_column: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)  # column words with no role here
    lone_dimensions: list[int] = field(default_factory=list)  # indices read with no "by"
    by_metric: bool = False  # "regions by payout": a metric after a grouping word
    value_or_column: list[Span] = field(default_factory=list)  # "claim status": topic or column
    value_slots: list[str] = field(default_factory=list)  # unused words before a column word
    over_time: bool = False
    # dated events named ("resolved", "closed", "cancelled"): the date columns of each phrase
    events: list[list[Tag]] = field(default_factory=list)
    # value phrases that also name an event ("resolved": a session status and a date): on a
    # table without that value they are the event only, not a filter
    event_values: list[tuple[list[Tag], list[Tag]]] = field(default_factory=list)
    limit: int | None = None
    sort: str | None = None
    ranked: int = -1  # the word a ranking ranks ("which products … the most", "top 3 makes")

    def event_only(self, tags: list[Tag], table: str) -> bool:
        """A value phrase that on `table` can only be the event it also names ("claims
        resolved": `resolved` is no claim status, but claims have a resolved date)."""
        return any(
            values is tags and any(t.table == table for t in times)
            for values, times in self.event_values
        )

    def value_columns(self, table: str) -> dict[str, list[str]]:
        """Filter values per column of `table`."""
        out: dict[str, list[str]] = {}
        for tags in self.values:
            for tag in tags:
                if tag.table == table:
                    out.setdefault(tag.column, []).append(tag.name)
        return out


def _between(found: Scan, start: int, end: int) -> list[str]:
    return found.words[start:end]


def assign_roles(found: Scan, layer: SemanticLayer) -> Roles:
    """Walk the spans in order, reading the words between them for grammar cues."""
    roles = Roles(counting=bool(re.search(grammar.COUNT_WORDS, found.text)))
    top_n(found, roles)
    previous_end = 0
    group = negate = False
    qualifiers = _qualifiers(found, layer)
    negated_after = postfix_negated(found)
    for index, span in enumerate(found.spans):
        if index in qualifiers:  # "customer" in "claims by customer region"
            previous_end = span.end
            continue
        gap = " ".join(_between(found, previous_end, span.start))
        grouping = list(re.finditer(grammar.GROUP_WORDS, gap))
        if grouping:  # "per day this week, phone channel": the "per" went to "day"
            group, negate = set(gap[grouping[-1].end() :].split()) <= JOINERS, False
        elif gap and not set(gap.split()) <= JOINERS:
            group = False
        if re.search(grammar.NEGATIONS, gap):
            negate = True
            if not span.of("value"):  # "claims with no payout": a negation of nothing to filter
                roles.unused.append(f"{gap.split()[-1]} {span.words}")
        elif gap and not set(gap.split()) <= JOINERS | {"via", "in", "on", "for", "from"}:
            negate = False
        following = found.words[span.end] if span.end < len(found.words) else ""
        next_span = found.spans[index + 1] if index + 1 < len(found.spans) else None
        previous_end = span.end
        columns = [t for t in span.of("column") if t.column in layer.groupable(t.table)]
        if not span.of("metric") and all(i in found.grammar for i in range(span.start, span.end)):
            continue  # "area chart", "over time", "broken down": grammar, not a column or value
        stem_words = set(found.stems[span.start : span.end])
        times = [t for t in span.of("column") if layer.temporal(t.table, t.column)]
        if times and not negate:
            roles.events.append(times)
            if re.search(r"\b(by|per)$", gap) and not (next_span and next_span.start == span.end):
                # "by resolved date": a series by that date ("by submission channel": no)
                roles.dimensions.append(TIME_DIMENSION)
                if following in _TIME_WORDS | {"time"}:
                    found.grammar.add(span.end)
                continue
        grouped = group or _TAIL_GROUP.match(following)
        if grouped and (columns or stem_words & _TIME_WORDS) and span.start not in negated_after:
            if columns:
                roles.dimensions.append(columns)
            else:
                roles.dimensions.append(TIME_DIMENSION)
            continue
        if span.start == roles.ranked and columns and not (span.of("metric") or span.of("value")):
            roles.dimensions.append(columns)  # "which products get the most claims": by product
            continue
        if span.of("value") and is_share(found, span, index):
            if span.end - span.start > 1 and splittable(found, layer, [span]):
                roles.split_rate = True  # "% of claims denied": claims + denied, not an event
            if {t.table for t in span.of("table")} - {t.table for t in span.of("value")}:
                roles.unused.append(span.words)  # "coverage rate": plans, or a session topic?
                continue
            roles.rates.append(span.of("value"))  # "denial rate": a share, not a filter
            if times and roles.events and roles.events[-1] is times:
                roles.events.pop()  # "share of devices cancelled": the share's value, no date
            continue
        if group and span.of("metric"):
            group = False  # "top regions by approval rate": the metric, after "by"
            roles.by_metric = True
        if _measure(found, span, roles, layer):
            continue
        for tag in [] if span.of("value") else span.of("table"):
            _add_table(roles, tag.table, layer)
            if tag.table not in roles.named_tables:
                roles.named_tables.append(tag.table)
        if span.of("metric"):
            restated_aggregate(found, span, layer)
            roles.metric_spans.append((span, span.of("metric")))
            continue
        if span.of("value"):
            value_tags = noun_of(found, index, span, roles)
            negate = negate or span.start in negated_after
            (roles.negated if negate else roles.values).append(value_tags)
            if times and not negate:
                roles.event_values.append((value_tags, times))
            if columns and not negate:
                roles.value_or_column.append(span)
            if _qualifies_table(found.spans[index + 1 :], span):
                roles.qualified_tables, group = True, False  # "across plus plans": no grouping
                if index > 0:  # "claims for enterprise customers": customers describe claims
                    roles.described.extend(t.table for t in next_span.of("table"))
            continue
        if columns and not span.of("table"):
            roles.lone_dimensions.append(len(roles.dimensions))
            roles.dimensions.append(columns)  # a lone grouping word ("region claims")
        elif not span.of("table"):
            roles.unused.append(span.words)
            slot = next_span and next_span.start == span.end and _groupable(next_span, layer)
            if slot and not times:  # "submission channel": a date word qualifies its column
                roles.value_slots.append(span.words)  # "premium tier plans": no such tier
    compare(found, roles)
    _settle(roles)
    _restated(found, roles, layer)
    for table in own_date_table(roles, layer):  # "new signups this week": the customers
        _add_table(roles, table, layer)
        roles.named_tables.append(table)
    return roles


def _restated(found: Scan, roles: Roles, layer: SemanticLayer) -> None:
    """A state word that is part of a metric's own phrases ("open" in "the open backlog",
    "active" in "active phone cases", "cases still open") names that metric, not a filter of
    another column — unless the request names the value's column ("status open")."""
    named = {(t.table, t.column) for s in found.spans if not s.of("value") for t in s.of("column")}
    metrics = {tag.name for _span, tags in roles.metric_spans for tag in tags}
    pool = [m for m in layer.catalog if m.id in metrics or m.source_table in roles.tables]
    for span in [s for s in found.spans if s.of("value") and s.of("value") in roles.values]:
        words = set(found.stems[span.start : span.end])
        if {(t.table, t.column) for t in span.of("value")} & named:
            continue
        for metric in pool:
            own = {  # the value on the metric's own table must pass its base filter
                t.column: [t.name] for t in span.of("value") if t.table == metric.source_table
            }
            phrases = [set(key(p)) for p in metric_phrases(metric)]
            said = any(
                words < p and (metric.id in metrics or p - words <= set(found.stems))
                for p in phrases
            )
            if said and compatible(metric, own):
                roles.values = [tags for tags in roles.values if tags != span.of("value")]
                if metric.id not in metrics:
                    roles.metric_spans.append((span, [Tag("metric", metric.id)]))
                break


def _qualifiers(found: Scan, layer: SemanticLayer) -> set[int]:
    """Table words that name the table of the column word right after them ("claims by
    customer region": the customers' region, not the claims'), when the request names another
    table or a metric; the column's tags are narrowed to that table. A date word after its
    table is the table's event ("support cases opened"), not a qualified column. Returns their
    indices."""
    out: set[int] = set()
    spans = found.spans
    for index, (span, column) in enumerate(pairwise(spans)):
        tables = {t.table for t in span.of("table")}
        if not tables or span.of("value") or span.of("metric") or column.start != span.end:
            continue
        mine = [t for t in column.of("column") if t.table in tables]
        if not mine or len(mine) == len(column.of("column")) or column.of("table"):
            continue
        if all(layer.temporal(t.table, t.column) for t in mine):
            continue
        others = [s for s in spans if s is not span and s is not column]
        if not any(s.of("metric") or s.of("table") for s in others):
            continue  # "session channel breakdown": the only table named is the subject
        entities = tuple(f"{t.split('.')[-1].rstrip('s')}_" for t in tables)  # device_make too
        column.tags = [
            t
            for t in column.tags
            if t.kind != "column" or t.table in tables or t.column.startswith(entities)
        ]
        out.add(index)
    return out


def _groupable(span: Span, layer: SemanticLayer) -> bool:
    return any(t.column in layer.groupable(t.table) for t in span.of("column"))


def _settle(roles: Roles) -> None:
    """A lone column word whose value is also named ("region is West") is the filter's column,
    not a grouping; a phrase that is a value of one table and a column of another ("claim
    status") is a value only when its table is named, else it is left for a question."""
    filtered = {(t.table, t.column) for tags in roles.values + roles.negated for t in tags}
    for index in reversed(roles.lone_dimensions):
        tags = roles.dimensions[index]
        if isinstance(tags, list) and {(t.table, t.column) for t in tags} & filtered:
            del roles.dimensions[index]
            roles.lone_dimensions = [  # later lone groupings move down one place
                i - (i > index) for i in roles.lone_dimensions if i != index
            ]
    for span in roles.value_or_column:
        if not {t.table for t in span.of("value")} & set(roles.named_tables):
            roles.values = [tags for tags in roles.values if tags != span.of("value")]
            roles.unused.append(span.words)


def _add_table(roles: Roles, table: str, layer: SemanticLayer) -> None:
    """The named table and the tables of the same entity (`claims` ↔ `…ev_claim`)."""
    entity = table.split(".")[-1].split("_")[-1].rstrip("s")
    for other in layer.dictionary.tables:
        same = other.split(".")[-1].split("_")[-1].rstrip("s") == entity
        if (other == table or same) and other not in roles.tables:
            roles.tables.append(other)


def _qualifies_table(after: list[Span], span: Span) -> bool:
    """Whether value `span` is followed by a table word, right after it or after the value's
    own column word ("Samsung devices", "plus-tier plans")."""
    own = {(t.table, t.column) for t in span.of("value")}
    at = span.end
    for following in after:
        if following.start != at:
            return False
        if following.of("table"):
            return True
        if not own & {(t.table, t.column) for t in following.of("column")}:
            return False
        at = following.end
    return False


def _other_tables(found: Scan, span: Span, layer: SemanticLayer) -> set[str]:
    """Tables named by a later phrase (a table or a metric on it) whose column `span` also
    names ("unique customers who filed a claim": claims hold a customer id)."""
    columns = {t.table for t in span.of("column")} - {t.table for t in span.of("table")}
    out = set()
    for tag in (t for s in found.spans if s.start >= span.end for t in s.tags):
        metric = layer.metric(tag.name) if tag.kind == "metric" else None
        table = metric.source_table if metric else tag.table if tag.kind == "table" else ""
        if table in columns:
            out.add(table)
    return out


def _measure(found: Scan, span: Span, roles: Roles, layer: SemanticLayer) -> bool:
    """An aggregate word right before (or opening) a numeric column phrase."""
    at = span.start - 1  # "average warehouse payout", "avg claim severity": skip these
    entity = {  # words naming only a table ("claim" in "avg claim severity") or only values
        i  # ("total theft payout", "how much did theft cost us": the filter, read on its own)
        for s in found.spans
        if (s.of("table") and not s.of("metric") and not s.of("value")) or s.tags == s.of("value")
        for i in range(s.start, s.end)
    }
    while at > max(-1, span.start - 4) and (
        (found.words[at] in grammar.FILLER and found.words[at] not in grammar.AGGREGATES)
        or re.match(grammar.BACKEND_WORDS, found.words[at])
        or at in entity
    ):
        at -= 1
    aggregate = grammar.AGGREGATES.get(found.words[at]) if at >= 0 else None
    tags = [t for t in span.of("column") if layer.numeric(t.table, t.column)]
    after = found.words[span.end] if span.end < len(found.words) else ""
    if aggregate is None and after in grammar.TRAILING_AGGREGATES and tags:
        aggregate = grammar.AGGREGATES[after]  # "payout total"
        found.grammar.add(span.end)
    last = found.words[span.end + 1] if span.end + 1 < len(found.words) else ""
    restated = grammar.AGGREGATES.get(last) if after in ("in", "on") and tags else None
    if restated and aggregate in (None, restated):  # "paid out in total", "on average"
        aggregate = restated
        found.grammar.update({span.end, span.end + 1})
    distinct = at >= 0 and re.fullmatch(grammar.DISTINCT_WORDS, found.words[at])
    others = _other_tables(found, span, layer) if distinct and span.of("table") else set()
    if aggregate is None and distinct and (span.tags == span.of("column") or others):
        # "unique claimants"; "unique customers who filed a claim": the claims' customer ids
        aggregate = "COUNT_DISTINCT"  # of ids, never of a date ("customers raising tickets")
        tags = [
            t
            for t in span.of("column")
            if (not others or t.table in others) and not layer.temporal(t.table, t.column)
        ]
    first = found.words[span.start]
    if aggregate is None and first in grammar.AGGREGATES and span.end - span.start > 1:
        rest = tuple(found.stems[span.start + 1 : span.end])
        aggregate = grammar.AGGREGATES[first]
        tags = [
            t
            for t in layer.lexicon.get(rest, [])
            if t.kind == "column" and layer.numeric(t.table, t.column)
        ]
    if aggregate is None or not tags:
        return False
    if aggregate == "SUM" and _per_own_row(found, span.end, {t.table for t in tags}):
        aggregate = "AVG"  # "how much do we pay out per claim": an amount per row is a mean
    roles.measures.append((aggregate, tags))
    roles.measure_starts.add(span.start)
    if span.of("metric"):
        roles.metric_spans.append((span, span.of("metric")))
    found.grammar.update(range(max(0, at), span.start))
    return True


def _per_own_row(found: Scan, at: int, tables: set[str]) -> bool:
    """ "per claim" / "a claim" right after (a filler word may sit between) a measure of
    claims: the amount per row of its own table."""
    following = [s for s in found.spans if s.start >= at]
    if not following or found.words[at : following[0].start][:1] not in (["per"], ["a"]):
        return False
    gap = found.words[at + 1 : following[0].start]
    named = {t.table for t in following[0].of("table")}
    then = following[1] if len(following) > 1 else None
    if then is not None and then.start == following[0].end and then.of("column"):
        return False  # "per claim channel": the claim's channel, a grouping
    return all(w in grammar.FILLER for w in gap) and bool(named & tables)

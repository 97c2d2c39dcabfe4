"""Checks the parser makes on a scanned request: groupings the data lacks, rankings whose
ranked word names a table, requests naming only values, metric phrases that only say which
rows a distinct count runs over."""

from __future__ import annotations

import re

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.layer import SemanticLayer, Tag
from command_center.semantic.roles import Roles
from command_center.semantic.scan import Scan, splittable


def grouped_unknown(found: Scan, unknown: list[str]) -> str:
    """The first unknown word right after a grouping word ("by zip code", "per adjuster")."""
    words = set(" ".join(unknown).split())
    for i, word in enumerate(found.words[1:], start=1):
        if word in words and found.words[i - 1] in ("by", "per", "each"):
            return word
    return ""


def ranked_column(found: Scan, roles: Roles, metric: MetricDefinition) -> bool:
    """A ranking ("top 3 products by claim count") whose ranked word names a table and also a
    dimension of the metric's table (products: the plans table, and `product_name` of the
    warehouse claims): that word is the grouping. Adds it to the dimensions."""
    if not (roles.limit or roles.by_metric):
        return False
    columns = []
    for table in roles.named_tables:
        spans = [s for s in found.spans if table in {t.table for t in s.of("table")}]
        own = [
            t
            for s in spans
            for t in s.of("column")
            if t.table == metric.source_table and t.column in metric.dimensions
        ]
        if not own:
            return False
        columns.append(own)
    roles.dimensions.extend(columns)
    return True


def values_only(roles: Roles) -> bool:
    """Whether the request's data words are all filter values: no metric, measure, table,
    grouping, rate or dated event is named, so nothing says what to count."""
    named = (roles.metric_spans, roles.measures, roles.named_tables, roles.dimensions)
    return (
        bool(roles.values)
        and not any(named)
        and not (roles.rates or roles.counting or roles.events or roles.over_time)
    )


def rows_counted(
    best: MetricDefinition, tags: list[Tag], layer: SemanticLayer, after_of: bool = False
) -> bool:
    """Whether a metric phrase only says which rows `best` runs over: the rows of a distinct
    count ("unique customers who filed a claim": the claims filed, by their customer ids), or
    after "for"/"on"/"of" the rows of any aggregate ("average payout for claims filed via app":
    the payouts of those claims)."""
    if not best.measure.upper().startswith("COUNT(DISTINCT") and not after_of:
        return False
    metrics = [layer.metric(t.name) for t in tags if t.kind == "metric"]
    return bool(metrics) and all(
        m is not None
        and m.source_table == best.source_table
        and m.measure.upper() == "COUNT(*)"
        and not m.base_filter.strip()
        for m in metrics
    )


def unknown_qualifier(found: Scan, unknown: list[str]) -> str:
    """An unknown word right before a phrase naming a table or metric ("Huawei handsets",
    "Huawei claims"): a kind of thing the data does not contain, not an unknown measure."""
    words = set(" ".join(unknown).split())
    for span in found.spans:
        named = span.of("table") or span.of("metric")
        before = found.words[span.start - 1] if span.start else ""
        if named and before in words and not before.isdigit():
            return f"{before} {span.words}"
    return ""


def narrows(
    best: MetricDefinition, tags: list[Tag], layer: SemanticLayer, adjacent: bool = False
) -> bool:
    """Whether the metrics a phrase names are `best` with fewer conditions ("open claims older
    than 48 hours": SLA breaches are open claims with one more condition), so the phrase only
    restates the rows `best` counts; right beside `best`'s phrase, an unfiltered one too
    ("today's claim intake": the claims filed today)."""

    def norm(sql: str) -> str:
        return re.sub(r"\s+", " ", sql).strip().upper()

    metrics = [layer.metric(t.name) for t in tags if t.kind == "metric"]
    return bool(metrics) and all(
        m is not None
        and m.source_table == best.source_table
        and norm(m.measure) == norm(best.measure)
        and (
            norm(best.base_filter).startswith(norm(m.base_filter) + " AND ")
            if m.base_filter.strip()
            else adjacent and bool(best.base_filter.strip())
        )
        for m in metrics
    )


def dated_event_values(found: Scan, layer: SemanticLayer) -> frozenset[tuple[int, int]]:
    """Multi-word values of a table the request does not name whose words are another table
    and one of its dates ("sessions opened" is an event type, and the sessions by their
    opening date): read word by word, as "tickets opened" is."""
    named = {t.table for s in found.spans if not s.of("value") for t in s.of("table")}
    out = set()
    for start, end in splittable(found, layer):
        span = next(s for s in found.spans if (s.start, s.end) == (start, end))
        if {t.table for t in span.of("value")} & named:
            continue
        tags = [t for i in range(start, end) for t in layer.lexicon[(found.stems[i],)]]
        tables = {t.table for t in tags if t.kind == "table"}
        if any(
            t.kind == "column" and t.table in tables and layer.temporal(t.table, t.column)
            for t in tags
        ):
            out.add((start, end))
    return frozenset(out)


_COUNT_RANK = re.compile(r"\b(?<!at )(most|fewest|least)\b")  # "at least 2" is no ranking


def unranked(found: Scan, sort: str | None, limit: int | None, grouped: bool) -> bool:
    """A ranking by how many ("when do most claims get filed") with nothing to rank: no
    grouping, no series, no limit. Building it would show one number sorted."""
    return bool(sort and not limit and not grouped and _COUNT_RANK.search(found.text))

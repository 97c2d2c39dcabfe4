"""Column checks of the safety gate: every column is in the data dictionary, and a column
flagged sensitive is only ever counted.

Resolution is sqlglot's, not ours: a copy of the statement is qualified (`qualify`) against a
schema built from the dictionary, which expands `*`, resolves aliases, CTE and subquery
columns and correlated references; then every column of every scope is traced to its source.
A column whose source is a real table must be a dictionary column of that table; a sensitive
one may appear only as the argument of ``COUNT(col)``, ``COUNT(DISTINCT col)`` or
``approx_count_distinct(col)`` — never selected, grouped, filtered, joined or ordered on. It
may pass unchanged through a CTE's or derived table's select list (``WITH t AS (SELECT *
FROM claims)``); the name it leaves under is then held to the same rule wherever it is used.
Projections of an EXISTS subquery are never read. Anything unaccounted for fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from command_center.sql.dictionary import DataDictionary
from command_center.sql.safety_walk import table_parts

_COUNTING = (exp.Count, exp.ApproxDistinct)


@dataclass
class ColumnFindings:
    """Hits for the `columns_known` and `sensitive_columns` checks."""

    unknown: list[str] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)


_SCHEMAS: dict[tuple[int, str], tuple[DataDictionary, MappingSchema]] = {}


def _schema(dictionary: DataDictionary, dialect: str) -> MappingSchema:
    """``{db: {table: {column: type}}}`` (one-part tables under the db ``""``), built once per
    dictionary and dialect."""
    cached = _SCHEMAS.get((id(dictionary), dialect))
    if cached is not None and cached[0] is dictionary:
        return cached[1]
    mapping: dict[str, dict[str, dict[str, str]]] = {}
    for table, columns in dictionary.columns.items():
        db, _, name = table.rpartition(".")
        mapping.setdefault(db, {})[name] = {c: "text" for c in columns}
    schema = MappingSchema(mapping, dialect=dialect)
    if len(_SCHEMAS) >= 32:
        _SCHEMAS.clear()
    _SCHEMAS[(id(dictionary), dialect)] = (dictionary, schema)
    return schema


def _dictionary_key(parts: tuple[str, ...], dictionary: DataDictionary) -> str | None:
    """The dictionary table a (catalog-, db-qualified) reference names, if any."""
    for size in (2, 1):
        if len(parts) >= size and ".".join(parts[-size:]) in dictionary.columns:
            if size == 1 and len(parts) > 1:
                return None  # `other.claims` is not `claims`
            return ".".join(parts[-size:])
    return None


def _counted(column: exp.Column) -> bool:
    """Whether `column` is the argument of COUNT(col) / COUNT(DISTINCT col, …) / approx."""
    node: exp.Expression = column
    parent = column.parent
    if isinstance(parent, exp.Distinct):
        node, parent = parent, parent.parent
    return isinstance(parent, _COUNTING) and parent.this is node


def _unseen(column: exp.Column) -> bool:
    """Whether `column` is a projection of an EXISTS subquery (its value is never read)."""
    node: exp.Expression = column
    if isinstance(node.parent, exp.Alias):
        node = node.parent
    select = node.parent
    if not isinstance(select, exp.Select) or node.arg_key != "expressions":
        return False
    holder = select.parent.parent if isinstance(select.parent, exp.Subquery) else select.parent
    return isinstance(holder, exp.Exists)


def _source(scope: Scope, name: str) -> exp.Table | Scope | None:
    current: Scope | None = scope
    while current is not None:
        source = current.sources.get(name)
        if source is not None:
            return source
        current = current.parent
    return None


def _outputs(scope: Scope) -> set[str]:
    return {n.lower() for n in scope.expression.named_selects}


def _enclosing(column: exp.Column) -> exp.Expression | None:
    node = column.parent
    while node is not None and not isinstance(node, (exp.Select, exp.SetOperation)):
        node = node.parent
    return node


def _enclosing_outputs(column: exp.Column) -> set[str]:
    node = _enclosing(column)
    return {n.lower() for n in node.named_selects} if node is not None else set()


def _alias_shadowing(statement: exp.Expression, dictionary: DataDictionary) -> list[str]:
    """Aliases named like a real column and referenced by that name elsewhere in the query:
    engines disagree on which one such a reference means, so the query is ambiguous."""
    real = {c for columns in dictionary.columns.values() for c in columns}
    hits: list[str] = []
    for select in statement.find_all(exp.Select):
        shadows = {
            p.alias.lower()
            for p in select.expressions
            if isinstance(p, exp.Alias)
            and p.alias.lower() in real
            and not (isinstance(p.this, exp.Column) and p.this.name.lower() == p.alias.lower())
        }
        if not shadows:
            continue
        for column in select.find_all(exp.Column):
            if not column.table and column.name.lower() in shadows:
                hits.append(f"alias {column.name.lower()} shadows a column of the same name")
    return hits


def _disguised_columns(statement: exp.Expression, dictionary: DataDictionary) -> list[str]:
    """Bare words (`exp.Var`: a date unit, a keyword) named like a dictionary column:
    `TIMESTAMPDIFF(email, a, b)` escapes the column checks, and a transpiled text may put the
    word where the target engine reads it as the column (`TIMESTAMPDIFF(a, b, EMAIL)`)."""
    real = {c for columns in dictionary.columns.values() for c in columns}
    return [
        f"keyword {var.name.lower()} names a column"
        for var in statement.find_all(exp.Var)
        if var.name.lower() in real
    ]


def check_columns(
    statement: exp.Expression, dictionary: DataDictionary, dialect: str, *, copy: bool = True
) -> ColumnFindings:
    """Resolve every column of `statement` against `dictionary` (see the module docstring).

    `qualify` rewrites the tree it works on: pass ``copy=False`` only for a throwaway tree."""
    findings = ColumnFindings(unknown=_alias_shadowing(statement, dictionary))
    findings.unknown += _disguised_columns(statement, dictionary)
    tree = statement.copy() if copy else statement
    try:
        tree = qualify(
            tree,
            schema=_schema(dictionary, dialect),
            dialect=dialect,
            validate_qualify_columns=True,
            quote_identifiers=False,
            identify=False,
        )
        scopes = traverse_scope(tree)
    except RecursionError:
        raise
    except Exception as exc:  # OptimizeError, SchemaError…: fail closed, say why
        message = (str(exc).splitlines() or [type(exc).__name__])[0]
        findings.unknown.append(message[:200])
        return findings
    # Sensitive values may pass through a CTE / derived table's select list untouched; the
    # names they leave under are "tainted" and checked where they are used. Repeat until no
    # new taint appears, so the order scopes come in does not matter.
    tainted: dict[int, set[str]] = {}
    for _ in range(len(scopes) + 1):
        before = sum(map(len, tainted.values()))
        found, seen = ColumnFindings(), set()
        for scope in scopes:
            for column in scope.columns:
                seen.add(id(column))
                _check_column(column, scope, dictionary, found, tainted)
        if sum(map(len, tainted.values())) == before:
            break
    findings.unknown += found.unknown
    findings.sensitive += found.sensitive
    for column in tree.find_all(exp.Column):
        if id(column) in seen:
            continue
        if column.table or column.name.lower() not in _enclosing_outputs(column):
            findings.unknown.append(f"column {column.sql(dialect=dialect)[:60]} not resolved")
        elif column.name.lower() in tainted.get(id(_enclosing(column)), set()):
            # `(SELECT id, email FROM customers ORDER BY email)`: the ORDER BY names the
            # passed-through projection, and the ids come back in e-mail order
            findings.sensitive.append(f"{column.name.lower()} is sensitive: ordered or grouped on")
    return findings


def _check_column(
    column: exp.Column,
    scope: Scope,
    dictionary: DataDictionary,
    findings: ColumnFindings,
    tainted: dict[int, set[str]],
) -> None:
    name = column.name.lower()
    if not column.table:
        if name not in _enclosing_outputs(column):
            findings.unknown.append(f"column {name} not resolved")
        elif name in tainted.get(id(scope.expression), set()) and not _counted(column):
            # `(SELECT id, email FROM customers ORDER BY email)`: the ORDER BY names the
            # passed-through projection, and the ids come back in e-mail order
            findings.sensitive.append(f"{name} is sensitive: it may only be counted")
        return
    source = _source(scope, column.table)
    label = f"{column.table}.{name}"
    if isinstance(source, Scope):
        if name not in _outputs(source) and "*" not in _outputs(source):
            findings.unknown.append(f"column {label} not in its subquery")
            return
        sensitive = name in tainted.get(id(source.expression), set())
    elif isinstance(source, exp.Table):
        key = _dictionary_key(table_parts(source), dictionary)
        if key is None or name not in dictionary.columns[key]:
            findings.unknown.append(f"unknown column {name} of {'.'.join(table_parts(source))}")
            return
        sensitive, label = dictionary.columns[key][name].sensitive, f"{key}.{name}"
    else:
        findings.unknown.append(f"column {label} has no source")
        return
    if not sensitive or _counted(column) or _unseen(column):
        return
    output = _passed_through(column, scope)
    if output is not None:
        tainted.setdefault(id(scope.expression), set()).add(output)
    else:
        findings.sensitive.append(f"{label} is sensitive: it may only be counted")


def _passed_through(column: exp.Column, scope: Scope) -> str | None:
    """The output name when `column` is a bare projection of a CTE or derived table."""
    if not (scope.is_cte or scope.is_derived_table) or not isinstance(scope.expression, exp.Select):
        return None
    node: exp.Expression = column
    if isinstance(node.parent, exp.Alias):
        node = node.parent
    if node.parent is not scope.expression or node.arg_key != "expressions":
        return None
    return node.alias_or_name.lower()

"""The sqlglot safety gate every generated query passes before it reaches a database.

`check_sql` bounds the text, parses once, walks the tree once, and reports a verdict per
check. When every check passes it injects the LIMIT, renders the query, transpiles it to the
`target` backend dialect, and runs the checks again on that final text — the exact SQL that
will be executed — before returning it.

- ``input_limits``: size (bytes), token count and nesting depth, measured on the text before
  any parse, then the number of SELECTs and table references right after it, before any
  analysis (see `safety_limits.GateLimits`); a failure names the limit.
- ``characters``: no control characters; no non-ASCII outside string literals.
- ``parses``: sqlglot parses the text in the given dialect (empty input fails).
- ``single_statement``: exactly one statement (a comment after the final ``;`` is none).
- ``select_only``: the statement is a SELECT or a set operation (UNION/EXCEPT/INTERSECT).
- ``no_dml_ddl``: no DML/DDL/command node anywhere (CTEs and subqueries included).
- ``no_select_into``: no ``SELECT … INTO``.
- ``table_allowlist``: every table reference is allowlisted (CTE references excepted); no
  time travel (``VERSION/TIMESTAMP AS OF``); no column alias list on a table
  (``customers AS c(id, x, y, region)`` renames columns by position).
- ``cte_shadowing``: no CTE is named like an allowlisted or known real table.
- ``no_table_functions``: no table-valued function (``read_files``, ``range``, ``explode``,
  ``STREAM``, ``UNNEST``, ``PIVOT``…), no path reads (``parquet.`/path```), no recursive CTE.
- ``function_allowlist``: every scalar/aggregate/window function is on an explicit
  allowlist (`safety_rules`); sensitive ones (``secret``, ``reflect``, ``current_user``…) are
  named as denied; schema-qualified (user-defined) calls and casts to user types are rejected;
  string-multiplying functions (``repeat``, ``lpad``/``rpad``, ``space``, growing
  ``replace``) take an integer-literal count ≤ 1,000 and never nest or multiply a concatenation.
- ``no_parameters``: no parameter, variable or session syntax (``@x``, ``@@x``, ``$1``,
  ``${x}``, ``?``, ``:name``, ``{x}``), in the tree or in the tokens.
- ``no_locking``: no ``FOR UPDATE`` / ``FOR SHARE``.
- ``no_niladic_functions``: no session function written without parentheses (``user``,
  ``current_schema``…), which sqlglot would read as a column.
- ``no_substitution``: no ``${…}`` anywhere in the text, not even inside a string literal
  (Spark variable substitution expands ``${env:…}``/``${system:…}`` before parsing), and no
  MySQL-style executable comment (``/*! … */``).
- ``columns_known`` / ``sensitive_columns``: with a `dictionary`, every column resolves to a
  dictionary column, and sensitive ones are only counted (see `safety_columns`); a bare
  keyword (date unit) named like a column fails too.
- ``limit``: the outermost query gets ``LIMIT <limit>`` when it has none, and a larger or
  non-literal limit is capped.

Table names are compared after lower-casing every part and dropping quotes (Databricks
identifiers are case-insensitive even when quoted). **Catalog policy:** a reference with a
catalog prefix (``cat.schema.table``) matches the allowlisted ``schema.table`` only when the
catalog is in ``allowed_catalogs`` (default ``hive_metastore`` and ``spark_catalog``), or when
the allowlist names that exact three-part table. An unqualified reference never matches a
schema-qualified entry (``ev_claim`` is not ``l3_asurion.ev_claim``: the current schema is
unknown), and a qualified one never matches an unqualified entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import sqlglot
from pydantic import BaseModel, Field
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token

from command_center.sql.compiler import SOURCE_DIALECT, transpile_expression
from command_center.sql.dictionary import DataDictionary
from command_center.sql.safety_columns import check_columns
from command_center.sql.safety_limits import (
    DEFAULT_LIMITS,
    GateLimits,
    LimitExceeded,
    TextScan,
    scan_text,
    structure_limits,
)
from command_center.sql.safety_rules import DENIED_FUNCTIONS
from command_center.sql.safety_walk import Walk, table_parts

__all__ = [
    "CHECK_NAMES",
    "DENIED_FUNCTIONS",
    "Check",
    "GateLimits",
    "SafetyError",
    "SafetyResult",
    "check_sql",
    "ensure_safe",
    "raise_for_safety",
]

DEFAULT_LIMIT = 5000
DEFAULT_CATALOGS = frozenset({"hive_metastore", "spark_catalog"})

CHECK_NAMES = (
    "input_limits",
    "characters",
    "parses",
    "single_statement",
    "select_only",
    "no_dml_ddl",
    "no_select_into",
    "table_allowlist",
    "cte_shadowing",
    "no_table_functions",
    "function_allowlist",
    "no_parameters",
    "no_locking",
    "no_niladic_functions",
    "no_substitution",
    "columns_known",
    "sensitive_columns",
    "limit",
)


class Check(BaseModel):
    """One named check and its verdict."""

    name: str
    passed: bool
    detail: str = ""


class SafetyResult(BaseModel):
    """The gate's verdict: every check run, and the final SQL (in `dialect`) when it passed."""

    passed: bool
    checks: list[Check] = Field(default_factory=list)
    sql: str | None = None
    dialect: str | None = None
    exceeded: LimitExceeded | None = None

    def check(self, name: str) -> Check | None:
        """The check called `name`, if it ran."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failed(self) -> list[str]:
        """Names of the failed checks, in order."""
        return [c.name for c in self.checks if not c.passed]


class SafetyError(Exception):
    """Raised when SQL fails the safety gate; carries the full result."""

    def __init__(self, result: SafetyResult) -> None:
        self.result = result
        reasons = "; ".join(f"{c.name}: {c.detail}" for c in result.checks if not c.passed)
        super().__init__(f"SQL rejected by safety gate ({reasons})")


@lru_cache(maxsize=1024)
def normalize_table(name: str, dialect: str = "databricks") -> tuple[str, ...]:
    """Lower-cased, unquoted parts of a table name: ``('l3_asurion', 'ev_claim')``."""
    return table_parts(exp.to_table(name, dialect=dialect))


def _verdict(name: str, hits: list[str], ok: str = "ok") -> Check:
    if hits:
        return Check(name=name, passed=False, detail=", ".join(dict.fromkeys(hits)))
    return Check(name=name, passed=True, detail=ok)


def _outer_query(statement: exp.Expression) -> exp.Query | None:
    """The statement as a SELECT / set operation, unwrapping bare parentheses."""
    node = statement
    while isinstance(node, exp.Subquery) and set(k for k, v in node.args.items() if v) == {"this"}:
        node = node.this
    if isinstance(node, (exp.Select, exp.SetOperation)):
        return node
    return None


def _apply_limit(query: exp.Query, limit: int) -> str:
    current = query.args.get("limit")
    value: exp.Expression | None = None
    if isinstance(current, exp.Limit):
        value = current.expression
    elif isinstance(current, exp.Fetch):
        value = current.args.get("count")
    if current is None:
        detail = f"injected LIMIT {limit}"
        new = limit
    elif isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
        existing = int(value.this)
        new = min(existing, limit)
        detail = f"capped LIMIT {existing} to {limit}" if existing > limit else f"kept {existing}"
        if isinstance(current, exp.Limit) and existing <= limit:
            return detail
    else:
        new = limit
        detail = f"replaced non-literal limit with LIMIT {limit}"
    query.set("limit", exp.Limit(expression=exp.Literal.number(new)))
    return detail


class _Policy(BaseModel):
    """What a query may touch, normalized once per `check_sql` call."""

    model_config = {"arbitrary_types_allowed": True}

    allowed: set[tuple[str, ...]]
    catalogs: frozenset[str]
    shadow_names: set[str]
    dictionary: DataDictionary | None


def _parse(text: str, dialect: str, tokens: list[Token]) -> tuple[list[exp.Expression], str]:
    """The statements of `text` from its `tokens` (comment-only ones dropped), or an error."""
    try:
        parsed = Dialect.get_or_raise(dialect).parser().parse(tokens, text)
    except RecursionError:
        raise
    except Exception as exc:  # ParseError, TokenError, anything the parser trips on
        return [], (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    # a comment after the final `;` parses as an empty `Semicolon` statement: not a statement
    return [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)], ""


def _tree_hits(
    text: str,
    statements: list[exp.Expression],
    dialect: str,
    policy: _Policy,
    scan: TextScan,
    *,
    final: bool = False,
) -> dict[str, list[str]]:
    """Hits per check name for parsed `statements` (`text` is their source; a `final` text's
    trees are not used afterwards, so the column check may rewrite them in place)."""
    hits: dict[str, list[str]] = {}
    empty = [s for s in statements if isinstance(s, exp.Select) and not s.expressions]
    hits["parses"] = ["SELECT without a select list"] if empty else []
    hits["single_statement"] = [f"{len(statements)} statements"] if len(statements) > 1 else []
    not_select = [type(s).__name__ for s in statements if _outer_query(s) is None]
    hits["select_only"] = [f"statement is {n}" for n in not_select]
    walk = Walk(policy.allowed, policy.catalogs, policy.shadow_names, dialect)
    walk.run(statements)
    hits["no_dml_ddl"] = walk.dml
    hits["no_select_into"] = walk.into
    hits["table_allowlist"] = walk.tables
    hits["cte_shadowing"] = [f"CTE {n} shadows a table" for n in walk.shadows]
    hits["no_table_functions"] = walk.table_functions
    hits["function_allowlist"] = walk.functions
    hits["no_parameters"] = walk.parameters + scan.parameters
    hits["no_locking"] = walk.locks
    hits["no_niladic_functions"] = walk.niladic
    hits["no_substitution"] = (["${ in query text"] if "${" in text else []) + scan.executable
    if policy.dictionary is not None:
        hits["columns_known"], hits["sensitive_columns"] = [], []
        for statement in statements:
            found = check_columns(statement, policy.dictionary, dialect, copy=not final)
            hits["columns_known"] += found.unknown
            hits["sensitive_columns"] += found.sensitive
    return hits


def _transpile(query: exp.Query, source: str, target: str) -> str:
    if target == source:
        return query.sql(dialect=source, comments=False)
    if source == SOURCE_DIALECT:
        return transpile_expression(query, target, comments=False)
    return sqlglot.transpile(query.sql(dialect=source), read=source, write=target)[0]


def _limit_kept(query: exp.Query, limit: int) -> bool:
    node = query.args.get("limit")
    value = node.expression if isinstance(node, exp.Limit) else None
    if isinstance(node, exp.Fetch):
        value = node.args.get("count")
    return isinstance(value, exp.Literal) and value.this.isdigit() and int(value.this) <= limit


def _recheck(
    final: str, dialect: str, policy: _Policy, limit: int, limits: GateLimits, relimit: bool = True
) -> tuple[str, dict[str, list[str]]]:
    """The final text and its failed checks, parsed afresh in the dialect that will run it.

    If transpilation moved the outer LIMIT (QUALIFY becomes a subquery on PostgreSQL and
    SQLite, with the LIMIT inside), the LIMIT is put back and that text is checked instead.
    """
    scan = scan_text(final, dialect, limits, check_size=False)
    hits: dict[str, list[str]] = {
        "characters": scan.characters,
        "no_parameters": scan.parameters,
        "no_substitution": (["${ in query text"] if "${" in final else []) + scan.executable,
    }
    parsed = ([], scan.token_error) if scan.token_error else _parse(final, dialect, scan.tokens)
    statements, error = parsed
    if error or len(statements) != 1:
        hits["parses"] = [error or f"{len(statements)} statements"]
    else:
        query = _outer_query(statements[0])
        if relimit and query is not None and not _limit_kept(query, limit):
            _apply_limit(query, limit)
            text = query.sql(dialect=dialect, comments=False)
            return _recheck(text, dialect, policy, limit, limits, relimit=False)
        hits.update(_tree_hits(final, statements, dialect, policy, scan, final=True))
        if query is None or not _limit_kept(query, limit):
            hits["limit"] = ["the LIMIT did not survive transpilation"]
    return final, {name: found for name, found in hits.items() if found}


def check_sql(
    sql: str,
    allowed_tables: set[str] | frozenset[str],
    dialect: str = "databricks",
    limit: int = DEFAULT_LIMIT,
    *,
    known_tables: Iterable[str] = (),
    allowed_catalogs: Iterable[str] = DEFAULT_CATALOGS,
    dictionary: DataDictionary | None = None,
    target: str | None = None,
    limits: GateLimits | None = None,
) -> SafetyResult:
    """Run every safety check on `sql`; return the verdicts and, if all pass, the final SQL.

    `allowed_tables` are table names (``claims``, ``l3_asurion.ev_claim``) in `dialect`;
    `known_tables` are further real table names no CTE may shadow. With `dictionary`, every
    column is checked against it. The returned SQL has no comments, the outer LIMIT injected
    or capped to `limit`, and is transpiled to `target` (default: `dialect`) and re-checked.
    """
    allowed = {normalize_table(t, dialect) for t in allowed_tables}
    shadow_names = {parts[-1] for parts in allowed}
    shadow_names |= {normalize_table(t, dialect)[-1] for t in known_tables}
    policy = _Policy(
        allowed=allowed,
        catalogs=frozenset(c.lower() for c in allowed_catalogs),
        shadow_names=shadow_names,
        dictionary=dictionary,
    )
    limits = limits or DEFAULT_LIMITS
    try:
        return _check(sql, policy, dialect, limit, target or dialect, limits)
    except RecursionError:  # a shape the token-level depth bound did not foresee
        detail = f"nested too deeply to analyse (max_depth: {limits.max_depth:,})"
        exceeded = LimitExceeded(name="max_depth", limit=limits.max_depth, actual=None)
        checks = [Check(name="input_limits", passed=False, detail=detail)]
        return SafetyResult(passed=False, checks=checks, exceeded=exceeded)


def _check(
    sql: str, policy: _Policy, dialect: str, limit: int, target: str, limits: GateLimits
) -> SafetyResult:
    scan = scan_text(sql, dialect, limits)
    checks = [_verdict("input_limits", scan.limit_hits)]
    if scan.exceeded is not None:
        return SafetyResult(passed=False, checks=checks, exceeded=scan.exceeded)
    checks.append(_verdict("characters", scan.characters))
    parsed = ([], scan.token_error) if scan.token_error else _parse(sql, dialect, scan.tokens)
    statements, error = parsed
    if error or not statements:
        checks.append(Check(name="parses", passed=False, detail=error or "no statement"))
        return SafetyResult(passed=False, checks=checks)
    shape = structure_limits(statements, limits)
    if shape.exceeded is not None:
        checks[0] = _verdict("input_limits", shape.limit_hits)
        return SafetyResult(passed=False, checks=checks[:1], exceeded=shape.exceeded)
    hits = _tree_hits(sql, statements, dialect, policy, scan)
    for name in CHECK_NAMES[2:-1]:
        if name in hits:
            checks.append(_verdict(name, hits[name]))
        else:
            checks.append(Check(name=name, passed=True, detail="not checked: no data dictionary"))
    query = _outer_query(statements[0])
    if not all(c.passed for c in checks) or len(statements) != 1 or query is None:
        return SafetyResult(passed=False, checks=checks)
    checks.append(Check(name="limit", passed=True, detail=_apply_limit(query, limit)))
    try:
        final, failures = _recheck(
            _transpile(query, dialect, target), target, policy, limit, limits
        )
    except RecursionError:
        raise
    except Exception as exc:  # the final text cannot be rendered for the target backend
        final, failures = "", {"parses": [f"cannot render for {target}: {exc}"[:300]]}
    for check in checks:
        if check.name in failures:
            found = ", ".join(dict.fromkeys(failures[check.name]))
            check.passed, check.detail = False, f"final {target} SQL: {found}"
    if failures:
        return SafetyResult(passed=False, checks=checks, dialect=target)
    return SafetyResult(passed=True, checks=checks, sql=final, dialect=target)


def raise_for_safety(result: SafetyResult) -> str:
    """Return the safe SQL, or raise `SafetyError` when the gate failed."""
    if not result.passed or result.sql is None:
        raise SafetyError(result)
    return result.sql


def ensure_safe(
    sql: str,
    allowed_tables: set[str] | frozenset[str],
    dialect: str = "databricks",
    limit: int = DEFAULT_LIMIT,
    **kwargs: Iterable[str],
) -> str:
    """`check_sql` then `raise_for_safety`: the rewritten SQL or a `SafetyError`."""
    return raise_for_safety(check_sql(sql, allowed_tables, dialect, limit, **kwargs))  # type: ignore[arg-type]

"""The sqlglot safety gate every generated query passes before it reaches a database.

`check_sql` parses once, walks the tree once, and reports a verdict per check:

- ``parses``: sqlglot parses the text in the given dialect (empty input fails).
- ``single_statement``: exactly one statement.
- ``select_only``: the statement is a SELECT or a set operation (UNION/EXCEPT/INTERSECT).
- ``no_dml_ddl``: no DML/DDL/command node anywhere (CTEs and subqueries included).
- ``no_select_into``: no ``SELECT … INTO``.
- ``table_allowlist``: every table reference is allowlisted (CTE references excepted).
- ``cte_shadowing``: no CTE is named like an allowlisted or known real table.
- ``no_table_functions``: no table-valued function (``read_files``, ``range``, ``explode``,
  ``STREAM``, ``UNNEST``…) and no path reads (``parquet.`/path```).
- ``function_allowlist``: every scalar/aggregate/window function is on an explicit
  allowlist; sensitive ones (``secret``, ``reflect``, ``current_user``…) are named as denied;
  schema-qualified (user-defined) function calls are rejected.
- ``no_substitution``: no ``${…}`` anywhere in the text, not even inside a string literal
  (Spark variable substitution expands ``${env:…}``/``${system:…}`` before parsing).
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

DEFAULT_LIMIT = 5000
DEFAULT_CATALOGS = frozenset({"hive_metastore", "spark_catalog"})

CHECK_NAMES = (
    "parses",
    "single_statement",
    "select_only",
    "no_dml_ddl",
    "no_select_into",
    "table_allowlist",
    "cte_shadowing",
    "no_table_functions",
    "function_allowlist",
    "no_substitution",
    "limit",
)


class Check(BaseModel):
    """One named check and its verdict."""

    name: str
    passed: bool
    detail: str = ""


class SafetyResult(BaseModel):
    """The gate's verdict: every check run, and the rewritten SQL when it passed."""

    passed: bool
    checks: list[Check] = Field(default_factory=list)
    sql: str | None = None

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


def _words(text: str) -> list[str]:
    """Whitespace-separated words (keeps the long name lists below readable)."""
    return text.split()


def _classes(names: Iterable[str]) -> frozenset[type]:
    """The sqlglot expression classes with these names (missing ones are skipped)."""
    return frozenset(getattr(exp, n) for n in names if isinstance(getattr(exp, n, None), type))


# Nodes that write, define, configure or run something: rejected anywhere in the tree.
_FORBIDDEN_NODES = _classes(
    _words("""Insert Update Delete Merge Create Drop Alter AlterRename TruncateTable Command Copy
    Cache Uncache Set Use Grant Revoke Describe Show Pragma Refresh LoadData Transaction
    Commit Rollback Analyze Kill Declare Execute Comment Summarize Export Attach Detach
    Install DDL DML""")
)
_FORBIDDEN_TUPLE = tuple(_FORBIDDEN_NODES)

# Typed function nodes (sqlglot classes) that may appear anywhere. Exact types only: a new
# subclass in a later sqlglot release is rejected until someone adds it here.
_ALLOWED_FUNC_CLASSES = _classes(
    _words("""
    Count CountIf Sum Avg Min Max ApproxDistinct ApproxQuantile Quantile Stddev StddevPop
    StddevSamp Variance VariancePop Median ArrayAgg ArrayUniqueAgg First Last AnyValue
    LogicalOr LogicalAnd ArgMax ArgMin Corr CovarPop CovarSamp
    RowNumber Rank DenseRank Lag Lead Ntile PercentRank CumeDist FirstValue LastValue NthValue
    TimestampTrunc DateTrunc TsOrDsAdd DateAdd DateSub DateDiff TimestampDiff TimestampAdd
    TimestampSub CurrentDate CurrentTimestamp TsOrDsToDate StrToDate StrToTime TimeToStr
    TimeStrToTime UnixToTime UnixToStr StrToUnix TimeToUnix Year Month Day Hour Minute Second
    DayOfWeek DayOfMonth DayOfYear WeekOfYear Week Quarter Extract AddMonths LastDay
    MonthsBetween ToChar DateFromParts
    Lower Upper Trim Length Substring Concat ConcatWs Replace RegexpSplit Split Initcap Pad
    RegexpExtract RegexpReplace RegexpLike StrPosition Left Right StartsWith EndsWith Contains
    Format Reverse Repeat
    Abs Round Floor Ceil Sqrt Pow Exp Ln Log Sign Greatest Least SafeDivide
    Coalesce Nullif Nvl2 If Case Cast TryCast Nanvl
    Array ArrayContains ArraySize Struct ArrayToString ArraySort ArrayDistinct
    Typeof MD5 SHA2
    And Or Xor Exists RegexpILike
    """)
)

# Functions sqlglot leaves as `Anonymous`, allowed by (lower-case) name.
_ALLOWED_ANONYMOUS = frozenset(
    _words("""make_date date_part bround format_number isnull isnotnull date_format to_timestamp
    datediff dayofweek dayofmonth weekday unix_timestamp percentile_cont try_avg try_sum
    try_add try_subtract try_multiply try_to_number to_number hash""")
)

# Named explicitly so a rejection says "denied", not just "not allowlisted".
DENIED_FUNCTIONS = frozenset(
    _words("""secret try_secret reflect try_reflect java_method current_user session_user user
    current_catalog current_database current_schema current_metastore current_version
    current_role current_setting input_file_name input_file_block_start
    input_file_block_length is_member is_account_group_member ai_query ai_generate_text
    ai_classify ai_extract ai_summarize http_request read_files read_csv read_csv_auto
    read_parquet read_json read_json_auto read_text read_blob read_kafka read_kinesis
    read_pubsub read_pulsar read_statestore cloud_files range explode explode_outer inline
    inline_outer posexplode posexplode_outer stack json_tuple sleep pg_sleep assert_true
    raise_error shell system getenv pg_read_file pg_read_binary_file
    pg_ls_dir lo_import lo_export dblink glob sniff_csv query query_table""")
)

# `format.`path`` reads files directly (Spark/Databricks "run SQL on files").
_FILE_FORMATS = frozenset(
    _words("parquet json csv delta orc text avro binaryfile binary_file xml iceberg hudi")
)
_PATH_CHARS = frozenset("/\\:.")


@lru_cache(maxsize=1024)
def normalize_table(name: str, dialect: str = "databricks") -> tuple[str, ...]:
    """Lower-cased, unquoted parts of a table name: ``('l3_asurion', 'ev_claim')``."""
    table = exp.to_table(name, dialect=dialect)
    return _table_parts(table)


def _table_parts(table: exp.Table) -> tuple[str, ...]:
    parts = [table.args.get("catalog"), table.args.get("db"), table.this]
    return tuple(p.name.lower() for p in parts if isinstance(p, exp.Expression) and p.name)


def _func_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return type(node).sql_name().lower()


class _Walk:
    """Accumulates violations from one iterative walk over every statement."""

    def __init__(
        self,
        allowed: set[tuple[str, ...]],
        allowed_catalogs: frozenset[str],
        shadow_names: set[str],
        dialect: str,
    ) -> None:
        self.dialect = dialect
        self.allowed = allowed
        self.allowed_catalogs = allowed_catalogs
        self.shadow_names = shadow_names
        self.dml: list[str] = []
        self.into: list[str] = []
        self.tables: list[str] = []
        self.shadows: list[str] = []
        self.table_functions: list[str] = []
        self.functions: list[str] = []

    def table_allowed(self, parts: tuple[str, ...]) -> bool:
        if parts in self.allowed:
            return True
        if len(parts) == 3 and parts[0] in self.allowed_catalogs and parts[1:] in self.allowed:
            return True
        return len(parts) == 2 and any(len(a) == 3 and a[1:] == parts for a in self.allowed)

    def run(self, statements: list[exp.Expression]) -> None:
        stack: list[tuple[exp.Expression, frozenset[str]]] = [
            (s, frozenset()) for s in reversed(statements)
        ]
        skip_func: set[int] = set()
        while stack:
            node, ctes = stack.pop()
            self.visit(node, ctes, skip_func)
            with_ = node.args.get("with_") if isinstance(node, exp.Query) else None
            if isinstance(with_, exp.With):
                ctes = self.push_with(with_, ctes, stack)
            for child in node.iter_expressions():
                if child is not with_:
                    stack.append((child, ctes))

    def push_with(
        self,
        with_: exp.With,
        ctes: frozenset[str],
        stack: list[tuple[exp.Expression, frozenset[str]]],
    ) -> frozenset[str]:
        """Schedule CTE bodies with the names each may see; return the names the body sees."""
        recursive = bool(with_.args.get("recursive"))
        visible = set(ctes)
        for cte in with_.expressions:
            name = cte.alias_or_name.lower()
            if name in self.shadow_names:
                self.shadows.append(name)
            body_sees = frozenset(visible | {name}) if recursive else frozenset(visible)
            stack.append((cte.this, body_sees))
            visible.add(name)
        return frozenset(visible)

    def visit(self, node: exp.Expression, ctes: frozenset[str], skip_func: set[int]) -> None:
        if isinstance(node, _FORBIDDEN_TUPLE):
            self.dml.append(type(node).__name__)
        if isinstance(node, exp.Select) and node.args.get("into") is not None:
            self.into.append(node.args["into"].sql(dialect=self.dialect))
        if isinstance(node, exp.Table):
            self.visit_table(node, ctes, skip_func)
        elif isinstance(node, (exp.From, exp.Join)):
            rel = node.this
            if not isinstance(rel, (exp.Table, exp.Subquery, exp.Values, exp.Lateral)):
                self.table_functions.append(f"{type(rel).__name__} used as a table")
                if isinstance(rel, exp.Func):
                    skip_func.add(id(rel))
        elif isinstance(node, exp.Lateral):
            if not isinstance(node.this, exp.Subquery):
                self.table_functions.append(f"LATERAL {node.this.sql(dialect=self.dialect)[:60]}")
                skip_func.add(id(node.this))
        elif isinstance(node, (exp.Unnest, exp.Stream)):
            self.table_functions.append(type(node).__name__.upper())
        if isinstance(node, exp.Func) and id(node) not in skip_func:
            self.visit_func(node)

    def visit_table(self, node: exp.Table, ctes: frozenset[str], skip_func: set[int]) -> None:
        this = node.this
        if not isinstance(this, exp.Identifier):
            if isinstance(this, exp.Func):
                skip_func.add(id(this))
                self.table_functions.append(f"table function {_func_name(this)}()")
            else:
                self.table_functions.append(
                    f"table expression {node.sql(dialect=self.dialect)[:60]}"
                )
            return
        parts = _table_parts(node)
        if (len(parts) > 1 and parts[-2] in _FILE_FORMATS) or _PATH_CHARS & set(parts[-1]):
            self.table_functions.append(f"file read {node.sql(dialect=self.dialect)[:80]}")
            return
        if len(parts) == 1 and parts[0] in ctes:
            return
        if not self.table_allowed(parts):
            self.tables.append(".".join(parts))

    def visit_func(self, node: exp.Func) -> None:
        name = _func_name(node)
        parent = node.parent
        if isinstance(parent, exp.Dot) and parent.expression is node:
            self.functions.append(f"qualified function {parent.sql(dialect=self.dialect)[:60]}")
        elif name in DENIED_FUNCTIONS:
            self.functions.append(f"denied function {name}")
        elif isinstance(node, exp.Anonymous):
            if name not in _ALLOWED_ANONYMOUS:
                self.functions.append(f"function {name} not on allowlist")
        elif type(node) not in _ALLOWED_FUNC_CLASSES:
            self.functions.append(f"function {name} not on allowlist")


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


def check_sql(
    sql: str,
    allowed_tables: set[str] | frozenset[str],
    dialect: str = "databricks",
    limit: int = DEFAULT_LIMIT,
    *,
    known_tables: Iterable[str] = (),
    allowed_catalogs: Iterable[str] = DEFAULT_CATALOGS,
) -> SafetyResult:
    """Run every safety check on `sql`; return the verdicts and, if all pass, the rewritten SQL.

    `allowed_tables` are table names (``claims``, ``l3_asurion.ev_claim``) in `dialect`;
    `known_tables` are further real table names no CTE may shadow. The returned SQL is in
    `dialect`, without comments, with the outer LIMIT injected or capped to `limit`.
    """
    checks: list[Check] = []
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except Exception as exc:  # ParseError, TokenError, RecursionError on absurd nesting…
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        checks.append(Check(name="parses", passed=False, detail=message[:300]))
        return SafetyResult(passed=False, checks=checks)
    if not statements:
        checks.append(Check(name="parses", passed=False, detail="no statement"))
        return SafetyResult(passed=False, checks=checks)
    empty = [s for s in statements if isinstance(s, exp.Select) and not s.expressions]
    checks.append(_verdict("parses", ["SELECT without a select list"] if empty else []))

    checks.append(
        _verdict(
            "single_statement", [f"{len(statements)} statements"] if len(statements) > 1 else []
        )
    )
    queries = [_outer_query(s) for s in statements]
    not_select = [type(s).__name__ for s, q in zip(statements, queries, strict=True) if q is None]
    checks.append(_verdict("select_only", [f"statement is {n}" for n in not_select]))

    allowed = {normalize_table(t, dialect) for t in allowed_tables}
    shadow_names = {parts[-1] for parts in allowed}
    shadow_names |= {normalize_table(t, dialect)[-1] for t in known_tables}
    walk = _Walk(allowed, frozenset(c.lower() for c in allowed_catalogs), shadow_names, dialect)
    walk.run(statements)
    checks.append(_verdict("no_dml_ddl", walk.dml))
    checks.append(_verdict("no_select_into", walk.into))
    checks.append(_verdict("table_allowlist", [f"table {t} not allowed" for t in walk.tables]))
    checks.append(_verdict("cte_shadowing", [f"CTE {n} shadows a table" for n in walk.shadows]))
    checks.append(_verdict("no_table_functions", walk.table_functions))
    checks.append(_verdict("function_allowlist", walk.functions))
    checks.append(_verdict("no_substitution", ["${ in query text"] if "${" in sql else []))

    passed = all(c.passed for c in checks)
    if not passed or len(statements) != 1 or queries[0] is None:
        return SafetyResult(passed=False, checks=checks)
    query = queries[0]
    checks.append(Check(name="limit", passed=True, detail=_apply_limit(query, limit)))
    return SafetyResult(passed=True, checks=checks, sql=query.sql(dialect=dialect, comments=False))


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

"""One iterative walk over a parsed statement, collecting what the safety gate rejects.

Iterative on purpose (an explicit stack, no recursion), so a deep tree costs memory, never a
`RecursionError`. Each list on `Walk` feeds one named check of `check_sql`.
"""

from __future__ import annotations

from sqlglot import exp

from command_center.sql.safety_rules import (
    ALLOWED_ANONYMOUS,
    ALLOWED_FUNC_CLASSES,
    DENIED_FUNCTIONS,
    FILE_FORMATS,
    FORBIDDEN_NODES,
    NILADIC_NAMES,
    PARAMETER_NODES,
    PATH_CHARS,
    func_name,
)

# String-multiplying functions (output length = input × a count): each count must be an
# integer literal of at most MAX_REPEAT, and none may multiply another one's output or a
# concatenation (`repeat(repeat(…))`, `replace(replace(…, 'x', 'xxxx'), …)` grow
# exponentially in the query text and exhaust the database's — for DuckDB, the app's — memory).
MAX_REPEAT = 1000
_CONCATENATING = (exp.Concat, exp.ConcatWs, exp.DPipe)


def _count_arg(node: exp.Expression) -> exp.Expression | None:
    """The repeat count / target length of a string-multiplying function, if it is one."""
    if isinstance(node, exp.Repeat):
        return node.args.get("times")
    if isinstance(node, exp.Pad):
        return node.args.get("expression")
    if isinstance(node, exp.Space):
        return node.this
    if isinstance(node, exp.Anonymous) and func_name(node) in {"lpad", "rpad", "space"}:
        args = node.expressions
        index = 0 if func_name(node) == "space" else 1
        return args[index] if len(args) > index else exp.Null()
    return None


def _grows(node: exp.Expression) -> bool:
    """Whether `node` can return more characters than its string argument had."""
    if _count_arg(node) is not None:
        return True
    if isinstance(node, (exp.Replace, exp.RegexpReplace)):
        pattern = node.expression if isinstance(node, exp.Replace) else node.args.get("expression")
        new = node.args.get("replacement")
        if new is None:
            return False
        if not (isinstance(new, exp.Literal) and new.is_string):
            return True
        if isinstance(node, exp.RegexpReplace):
            return bool(new.this)  # a regex may match the empty string at every position
        return not (isinstance(pattern, exp.Literal) and len(new.this) <= len(pattern.this))
    return False


def table_parts(table: exp.Table) -> tuple[str, ...]:
    """Lower-cased, unquoted ``(catalog, db, name)`` parts of a table reference."""
    parts = [table.args.get("catalog"), table.args.get("db"), table.this]
    return tuple(p.name.lower() for p in parts if isinstance(p, exp.Expression) and p.name)


def _star_allowed(star: exp.Star) -> bool:
    """`*` only as a projection (expanded and column-checked) or as COUNT(*): `struct(*)`,
    `hash(*)`, `concat_ws(',', *)` would read every column, sensitive ones included."""
    parent = star.parent
    if isinstance(parent, exp.Column):  # `t.*`
        parent = parent.parent
    return isinstance(parent, (exp.Select, exp.Count))


class Walk:
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
        self.parameters: list[str] = []
        self.locks: list[str] = []
        self.niladic: list[str] = []

    def short(self, node: exp.Expression, size: int = 60) -> str:
        """The node as (truncated) SQL, for a check's detail."""
        try:
            return node.sql(dialect=self.dialect)[:size]
        except Exception:  # an unprintable node is still reported, by type
            return type(node).__name__

    def table_allowed(self, parts: tuple[str, ...]) -> bool:
        """Whether a table reference matches the allowlist (see `check_sql`'s catalog policy)."""
        if parts in self.allowed:
            return True
        if len(parts) == 3 and parts[0] in self.allowed_catalogs and parts[1:] in self.allowed:
            return True
        return len(parts) == 2 and any(len(a) == 3 and a[1:] == parts for a in self.allowed)

    def run(self, statements: list[exp.Expression]) -> None:
        """Walk every node of every statement once, tracking the CTE names in scope."""
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
        if recursive:
            self.table_functions.append("WITH RECURSIVE (unbounded row generator)")
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
        """Record what is wrong with `node` itself (its children are visited separately)."""
        if isinstance(node, FORBIDDEN_NODES):
            self.dml.append(type(node).__name__)
        if isinstance(node, PARAMETER_NODES):
            self.parameters.append(f"{type(node).__name__} {self.short(node, 40)}")
        if isinstance(node, exp.Lock):
            self.locks.append(self.short(node) or "FOR UPDATE/SHARE")
        if isinstance(node, (exp.Column, exp.Var)) and node.name.lower() in NILADIC_NAMES:
            self.visit_niladic(node)
        if isinstance(node, exp.Select) and node.args.get("into") is not None:
            self.into.append(self.short(node.args["into"]))
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
                self.table_functions.append(f"LATERAL {self.short(node.this)}")
                skip_func.add(id(node.this))
        elif isinstance(node, (exp.Unnest, exp.Stream, exp.Pivot)):
            self.table_functions.append(type(node).__name__.upper())
        elif isinstance(node, exp.DataType) and node.this == exp.DataType.Type.USERDEFINED:
            self.functions.append(f"cast to user-defined type {self.short(node, 40)}")
        if isinstance(node, exp.Star) and not _star_allowed(node):
            self.functions.append(f"* inside {self.short(node.parent or node, 40)}")
        if isinstance(node, exp.Func) and id(node) not in skip_func:
            self.visit_func(node)
            if _grows(node):
                self.visit_growth(node)

    def visit_niladic(self, node: exp.Expression) -> None:
        """A session function written without parentheses (`user`, `current_schema`…)."""
        if isinstance(node, exp.Column) and node.table:
            return  # `t.user` is a column of `t`, not the session function
        self.niladic.append(f"{node.name} (session function without parentheses)")

    def visit_growth(self, node: exp.Func) -> None:
        """Bound a string-multiplying function (see `MAX_REPEAT`)."""
        name = func_name(node)
        count = _count_arg(node)
        if count is not None:
            literal = count.this if isinstance(count, exp.Literal) and not count.is_string else ""
            if not (literal.isdigit() and int(literal) <= MAX_REPEAT):
                self.functions.append(
                    f"{name} count {self.short(count, 20)} (an integer literal ≤ {MAX_REPEAT})"
                )
        inner = node.find_all(exp.Func)
        if any(n is not node and (_grows(n) or isinstance(n, _CONCATENATING)) for n in inner):
            self.functions.append(f"{name} of a growing string (nested growth)")

    def visit_table(self, node: exp.Table, ctes: frozenset[str], skip_func: set[int]) -> None:
        """Table functions, file reads, time travel and tables outside the allowlist."""
        this = node.this
        if not isinstance(this, exp.Identifier):
            if isinstance(this, exp.Func):
                skip_func.add(id(this))
                self.table_functions.append(f"table function {func_name(this)}()")
            else:
                self.table_functions.append(f"table expression {self.short(node)}")
            return
        parts = table_parts(node)
        if (len(parts) > 1 and parts[-2] in FILE_FORMATS) or PATH_CHARS & set(parts[-1]):
            self.table_functions.append(f"file read {self.short(node, 80)}")
            return
        alias = node.args.get("alias")
        if isinstance(alias, exp.TableAlias) and alias.columns:
            # `customers AS c(id, x, y, region)` renames columns by position: `c.region` would
            # read `email` on PostgreSQL/DuckDB while every check sees `region`
            self.tables.append(f"column alias list on table {'.'.join(parts)}")
        if node.args.get("version") is not None:
            self.tables.append(f"time travel on {'.'.join(parts)}")
        if len(parts) == 1 and parts[0] in ctes:
            return
        if not self.table_allowed(parts):
            self.tables.append(f"table {'.'.join(parts)} not allowed")

    def visit_func(self, node: exp.Func) -> None:
        """Allowlisted functions only; qualified (user-defined) calls never."""
        name = func_name(node)
        parent = node.parent
        if isinstance(parent, exp.Dot) and parent.expression is node:
            self.functions.append(f"qualified function {self.short(parent)}")
        elif name in DENIED_FUNCTIONS:
            self.functions.append(f"denied function {name}")
        elif isinstance(node, exp.Anonymous):
            if name not in ALLOWED_ANONYMOUS:
                self.functions.append(f"function {name} not on allowlist")
        elif type(node) not in ALLOWED_FUNC_CLASSES:
            self.functions.append(f"function {name} not on allowlist")

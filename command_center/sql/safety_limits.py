"""What the safety gate checks on the text, before (and instead of) parsing it.

`scan_text` bounds the work the parser may be asked to do — bytes, tokens, nesting depth —
using only sqlglot's tokenizer (linear, no recursion) on at most `max_bytes` of input
(`structure_limits` then bounds the parsed shape before the column analysis), and
finds what must never reach a database whatever the parse tree says: control characters,
non-ASCII outside string literals, and parameter / variable / session syntax (`@x`, `@@x`,
`$1`, `${x}`, `?`, `:name`, `{x}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from command_center.sql.safety_rules import words


class GateLimits(BaseModel):
    """Bounds on a query's size, checked before it is parsed."""

    max_bytes: int = 20 * 1024
    max_tokens: int = 2000
    max_depth: int = 20
    max_selects: int = 16  # SELECTs: subqueries, CTEs, set-operation branches (after parsing)
    max_tables: int = 16  # table references (after parsing)


DEFAULT_LIMITS = GateLimits()


class LimitExceeded(BaseModel):
    """The first limit a query broke: its name, its value and what the query had."""

    name: str
    limit: int
    actual: int | None = None


def _token_types(names: str) -> frozenset[TokenType]:
    return frozenset(TokenType[n] for n in words(names) if n in TokenType.__members__)


_STRING_TOKENS = _token_types(
    """STRING BIT_STRING HEX_STRING BYTE_STRING NATIONAL_STRING NATIONAL_RAW_STRING RAW_STRING
    HEREDOC_STRING UNICODE_STRING"""
)
_QUOTED = _STRING_TOKENS | {TokenType.IDENTIFIER}
_OPEN = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE, TokenType.CASE})
_CLOSE = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE, TokenType.END})
_UNARY = _token_types("NOT DASH PLUS TILDE TILDA EXCLAMATION")
_PARAMETER_TOKENS = _token_types(
    "PARAMETER PLACEHOLDER SESSION_PARAMETER DAT DOLLAR COLON L_BRACE R_BRACE"
)
_PARAMETER_CHARS = frozenset("$@?{}")
_ALLOWED_CONTROL = frozenset("\t\n\r")


@dataclass
class TextScan:
    """What `scan_text` found; `tokens` is empty when a limit stopped it early."""

    exceeded: LimitExceeded | None = None
    limit_hits: list[str] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    executable: list[str] = field(default_factory=list)
    token_error: str = ""
    tokens: list[Token] = field(default_factory=list)


def _exceeded(scan: TextScan, name: str, limit: int, actual: int, what: str) -> TextScan:
    scan.exceeded = LimitExceeded(name=name, limit=limit, actual=actual)
    scan.limit_hits.append(f"{what} ({name}: {actual:,} > {limit:,})")
    return scan


def _control_characters(sql: str) -> list[str]:
    bad = sorted({c for c in sql if (ord(c) < 32 and c not in _ALLOWED_CONTROL) or ord(c) == 127})
    return [f"control character U+{ord(c):04X}" for c in bad]


def scan_text(sql: str, dialect: str, limits: GateLimits, *, check_size: bool = True) -> TextScan:
    """Bound and scan `sql` without parsing it (see the module docstring)."""
    scan = TextScan()
    size = len(sql.encode("utf-8", "surrogatepass"))
    if check_size and size > limits.max_bytes:
        return _exceeded(scan, "max_bytes", limits.max_bytes, size, "query too large")
    scan.characters = _control_characters(sql)
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError as exc:
        scan.token_error = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        return scan
    if check_size and len(tokens) > limits.max_tokens:
        return _exceeded(scan, "max_tokens", limits.max_tokens, len(tokens), "too many tokens")
    depth = deepest = unary = 0
    for token in tokens:
        kind = token.token_type
        if kind in _OPEN:
            depth += 1
        elif kind in _CLOSE:
            depth = max(depth - 1, 0)
        unary = unary + 1 if kind in _UNARY else 0
        deepest = max(deepest, depth + unary)
        if any(comment.startswith("!") for comment in token.comments):
            scan.executable.append("executable comment /*! … */")
        if kind not in _STRING_TOKENS and not token.text.isascii():
            scan.characters.append(f"non-ASCII {token.text[:20]!r} outside a string literal")
        if kind not in _QUOTED and (
            kind in _PARAMETER_TOKENS or _PARAMETER_CHARS & set(token.text)
        ):
            scan.parameters.append(f"{token.text!r} (parameter/variable syntax)")
    if check_size and deepest > limits.max_depth:
        return _exceeded(scan, "max_depth", limits.max_depth, deepest, "nested too deeply")
    scan.tokens = tokens
    return scan


def structure_limits(statements: list[exp.Expression], limits: GateLimits) -> TextScan:
    """Bounds on the parsed shape that drive the cost of the column analysis: SELECT count
    (subqueries, CTEs, UNION branches) and table references. Iterative, before any analysis."""
    scan = TextScan()
    selects = tables = 0
    for statement in statements:
        for node in statement.find_all(exp.Select, exp.Table):
            if isinstance(node, exp.Select):
                selects += 1
            else:
                tables += 1
    if selects > limits.max_selects:
        return _exceeded(scan, "max_selects", limits.max_selects, selects, "too many SELECTs")
    if tables > limits.max_tables:
        return _exceeded(scan, "max_tables", limits.max_tables, tables, "too many tables")
    return scan

"""Issue 11, "the gate checks what runs": the SQL safety gate on hostile and legitimate SQL.

Every case here failed on the gate before issue 11: it checked its input but returned SQL
rewritten into `${…}` parameter syntax, let parameters, locking reads and parenthesis-less
session functions through, never looked at columns, and parsed whatever size it was given.
The adversarial corpus also runs over HTTP against `POST /v1/sql/validate`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlglot
from fastapi.testclient import TestClient

from command_center.metrics.definitions import SEEDED_METRICS
from command_center.settings import get_settings
from command_center.sql import safety
from command_center.sql.dictionary import load_dictionary
from command_center.sql.safety import CHECK_NAMES, GateLimits, check_sql
from tests.api_helpers import assert_problem, prepared_client
from tests.conftest import isolate_settings

DICTIONARY = load_dictionary()
OLTP = DICTIONARY.allowed_tables_for("claims")  # claims, devices, customers, issue_sessions
WAREHOUSE = DICTIONARY.allowed_tables_for("l3_asurion.ev_claim")
KNOWN = set(DICTIONARY.tables)
TARGETS = ("databricks", "postgres", "sqlite", "duckdb")
OLTP_METRIC = next(m.id for m in SEEDED_METRICS if m.source_table == "claims")
WAREHOUSE_METRIC = next(m.id for m in SEEDED_METRICS if m.source_table == "l3_asurion.ev_claim")


def gate(sql: str, tables: set[str] | None = None, **kwargs: object) -> safety.SafetyResult:
    """The gate as the repo's callers run it: dictionary on, known tables named."""
    allowed = tables if tables is not None else OLTP | WAREHOUSE
    return check_sql(sql, allowed, known_tables=KNOWN, dictionary=DICTIONARY, **kwargs)  # type: ignore[arg-type]


def failed(result: safety.SafetyResult) -> dict[str, str]:
    return {c.name: c.detail for c in result.checks if not c.passed}


# --- the rewritten SQL: what passed and came out as `${…}` --------------------------------

REWRITTEN = [
    "SELECT @env:HOME FROM l3_asurion.ev_claim",
    "SELECT * FROM l3_asurion.ev_claim@v1",
    "SELECT claim_status FROM l3_asurion.ev_claim WHERE claim_status = $1",
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("sql", REWRITTEN)
def test_parameter_syntax_that_came_out_rewritten_is_rejected(sql: str, target: str) -> None:
    result = gate(sql, WAREHOUSE, target=target)
    assert not result.passed and result.sql is None
    assert "no_parameters" in failed(result), failed(result)


def test_the_returned_sql_is_the_final_text_for_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    sql = "SELECT region, CAST(filed_at AS DATE) AS day, COUNT(*) AS n FROM claims GROUP BY 1, 2"
    for target in TARGETS:
        result = gate(sql, target=target)
        assert result.passed, failed(result)
        assert result.dialect == target
        reparsed = sqlglot.parse_one(result.sql, read=target)
        assert reparsed.args["limit"].expression.this == "5000"  # LIMIT injected before transpile
    assert "date(" in gate(sql, target="sqlite").sql.lower()  # the sqlite rewrite happened


@pytest.mark.parametrize(
    ("injected", "check"),
    [
        ("SELECT ${env:HOME} FROM claims LIMIT 5000", "no_substitution"),
        ("SELECT region FROM claims WHERE region = $1 LIMIT 5000", "no_parameters"),
        ("SELECT current_user FROM claims LIMIT 5000", "function_allowlist"),
        ("SELECT region FROM claims LIMIT 5000; SELECT 1", "parses"),
        ("SELECT email FROM customers LIMIT 5000", "sensitive_columns"),
    ],
)
def test_the_final_text_is_checked_again(
    monkeypatch: pytest.MonkeyPatch, injected: str, check: str
) -> None:
    """Whatever transpilation produces is re-parsed and re-checked in the target dialect."""
    monkeypatch.setattr(safety, "_transpile", lambda *_: injected)
    result = gate("SELECT region FROM claims", target="postgres")
    assert not result.passed and result.sql is None
    assert check in failed(result), failed(result)
    assert failed(result)[check].startswith("final postgres SQL")


@pytest.mark.parametrize(
    "transpiled", ["SELECT region FROM claims", "SELECT region FROM claims LIMIT 99999"]
)
def test_a_limit_lost_in_transpilation_is_put_back(
    monkeypatch: pytest.MonkeyPatch, transpiled: str
) -> None:
    monkeypatch.setattr(safety, "_transpile", lambda *_: transpiled)
    result = gate("SELECT region FROM claims", target="postgres")
    assert result.passed and result.sql == "SELECT region FROM claims LIMIT 5000"


def test_qualify_keeps_its_limit_outside_on_every_backend() -> None:
    sql = (
        "SELECT region FROM claims QUALIFY row_number() OVER (PARTITION BY region ORDER BY id) = 1"
    )
    for target in TARGETS:
        result = gate(sql, target=target)
        assert result.passed, failed(result)
        assert sqlglot.parse_one(result.sql, read=target).args["limit"] is not None


# --- parameters, variables, session syntax, locking, niladic functions --------------------

PARAMETERS = [
    "SELECT region FROM claims WHERE status = ?",
    "SELECT region FROM claims WHERE status = :status",
    "SELECT region FROM claims WHERE status = @status",
    "SELECT @@version FROM claims",
    "SELECT region FROM claims WHERE status = $1",
    "SELECT region FROM claims WHERE status = {status}",
    "SELECT region FROM claims WHERE status = ${status}",
    "SELECT region FROM claims WHERE status = $status",
]


@pytest.mark.parametrize("sql", PARAMETERS)
def test_parameter_variable_and_session_syntax_is_rejected(sql: str) -> None:
    result = gate(sql, target="postgres")
    assert not result.passed
    assert {"no_parameters", "no_substitution"} & set(failed(result)), failed(result)


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT region FROM claims FOR UPDATE", "databricks"),
        ("SELECT region FROM claims FOR SHARE", "databricks"),
        ("SELECT region FROM claims FOR UPDATE NOWAIT", "postgres"),
        ("SELECT region FROM claims FOR NO KEY UPDATE SKIP LOCKED", "postgres"),
        ("SELECT region FROM claims c FOR KEY SHARE OF c", "postgres"),
    ],
)
def test_locking_clauses_are_rejected(sql: str, dialect: str) -> None:
    result = gate(sql, dialect=dialect, target="postgres")
    assert "no_locking" in failed(result), failed(result)


NILADIC = [
    "user",
    "system_user",
    "current_user",
    "session_user",
    "current_schema",
    "current_catalog",
    "current_database",
    "current_role",
    "`user`",
    "USER",
]


@pytest.mark.parametrize("name", NILADIC)
def test_niladic_session_functions_are_rejected_even_without_a_dictionary(name: str) -> None:
    sql = f"SELECT {name} FROM l3_asurion.ev_claim"
    with_dictionary = gate(sql, WAREHOUSE, target="postgres")
    assert not with_dictionary.passed
    bare = check_sql(sql, WAREHOUSE)  # the old signature: no dictionary, no target
    names = set(failed(bare))
    assert names & {"no_niladic_functions", "function_allowlist"}, names


# --- columns: known, and sensitive ones only counted ---------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT no_such_col FROM claims",
        "SELECT c.no_such_col FROM claims AS c",
        "SELECT region FROM claims WHERE no_such_col = 1",
        "SELECT region FROM claims ORDER BY no_such_col",
        "SELECT x FROM (SELECT region FROM claims) AS s",
        "WITH t AS (SELECT region FROM claims) SELECT t.status FROM t",
        "SELECT ctid FROM claims",
        "SELECT rowid FROM claims",
        "SELECT _metadata.file_path FROM claims",
        "SELECT email FROM claims",  # a customers column, not a claims one
    ],
)
def test_unknown_columns_fail_a_named_check(sql: str) -> None:
    result = gate(sql)
    assert "columns_known" in failed(result), failed(result)


SENSITIVE = [
    "SELECT email FROM customers",
    "SELECT region, COUNT(*) FROM customers GROUP BY region, email",
    "SELECT COUNT(*) FROM customers WHERE email = 'a@example.com'",
    "SELECT region FROM customers ORDER BY name",
    "SELECT * FROM customers",
    "SELECT c.* FROM claims AS c",
    "SELECT MAX(email) FROM customers",
    "SELECT COUNT(CASE WHEN email LIKE 'a%' THEN 1 END) FROM customers",
    "SELECT COUNT(DISTINCT substring(email, 1, 1)) FROM customers",
    "SELECT COUNT(email) OVER (PARTITION BY email) FROM customers",
    "SELECT COUNT(email) FILTER (WHERE email LIKE 'a%') FROM customers",
    "SELECT claim_id FROM l3_asurion.ev_claim",
    "SELECT a.region FROM customers AS a JOIN customers AS b ON a.email = b.email",
    "SELECT region FROM claims WHERE customer_id IN"
    " (SELECT id FROM customers WHERE name LIKE 'A%')",
    "WITH t AS (SELECT email AS e FROM customers) SELECT e FROM t",
    "WITH t AS (SELECT * FROM customers) SELECT region FROM t WHERE name LIKE 'A%'",
    "SELECT s.e FROM (SELECT email AS e FROM customers) AS s",
    "WITH a AS (SELECT email FROM customers), b AS (SELECT email AS x FROM a) SELECT x FROM b",
    "SELECT md5(email) FROM customers",
    "SELECT region FROM claims UNION ALL SELECT external_id FROM devices",
]


@pytest.mark.parametrize("sql", SENSITIVE)
def test_sensitive_columns_may_not_be_selected_grouped_filtered_or_ordered(sql: str) -> None:
    result = gate(sql)
    assert "sensitive_columns" in failed(result), failed(result)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT COUNT(email) AS with_email FROM customers",
        "SELECT segment, COUNT(DISTINCT email) AS people FROM customers GROUP BY segment",
        "SELECT region, COUNT(DISTINCT external_id) AS n FROM claims GROUP BY region",
        "SELECT product_name, COUNT(DISTINCT claim_id) AS n FROM l3_asurion.ev_claim GROUP BY 1",
        "SELECT approx_count_distinct(customer_id) AS n FROM l3_asurion.ev_claim",
        "WITH t AS (SELECT email AS e FROM customers) SELECT COUNT(DISTINCT e) AS n FROM t",
        "WITH t AS (SELECT * FROM customers) SELECT region, COUNT(*) AS n FROM t GROUP BY region",
    ],
)
def test_counting_a_sensitive_column_is_allowed(sql: str) -> None:
    result = gate(sql, target="postgres")
    assert result.passed, failed(result)


# --- limits, before parsing ----------------------------------------------------------------


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the gate parsed a query that breaks a limit")

    monkeypatch.setattr(sqlglot.parser.Parser, "parse", refuse)


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        ("SELECT " + "+".join(["1"] * 45_000) + " FROM claims", "max_bytes"),
        ("SELECT " + "+".join(["1"] * 4_000) + " FROM claims", "max_tokens"),
        ("SELECT " + "(" * 100 + "1" + ")" * 100 + " FROM claims", "max_depth"),
        ("SELECT " + "NOT " * 100 + "TRUE FROM claims", "max_depth"),
        ("SELECT " + "CASE WHEN TRUE THEN " * 40 + "1" + " END" * 40 + " FROM claims", "max_depth"),
    ],
)
def test_limits_are_enforced_before_parsing(
    monkeypatch: pytest.MonkeyPatch, sql: str, limit: str
) -> None:
    _no_parse(monkeypatch)
    result = gate(sql)
    assert result.failed == ["input_limits"]
    assert result.exceeded is not None and result.exceeded.name == limit
    assert limit in result.checks[0].detail


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        (" UNION ALL ".join(["SELECT region FROM claims"] * 40), "max_selects"),
        (
            "WITH c0 AS (SELECT * FROM claims), "
            + ", ".join(f"c{i} AS (SELECT * FROM c{i - 1})" for i in range(1, 40))
            + " SELECT region FROM c39",
            "max_selects",
        ),
        (
            "SELECT c0.region FROM claims AS c0 "
            + " ".join(f"JOIN claims AS c{i} ON c{i}.id = c{i - 1}.id" for i in range(1, 40)),
            "max_tables",
        ),
        ("SELECT COUNT(*) FROM " + ", ".join(f"claims AS c{i}" for i in range(40)), "max_tables"),
    ],
)
def test_the_parsed_shape_is_bounded_before_the_column_analysis(
    monkeypatch: pytest.MonkeyPatch, sql: str, limit: str
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the gate analysed a query that breaks a limit")

    monkeypatch.setattr(safety, "check_columns", refuse)
    result = gate(sql)
    assert result.failed == ["input_limits"]
    assert result.exceeded is not None and result.exceeded.name == limit


def test_a_recursion_the_bounds_did_not_foresee_is_a_clean_rejection() -> None:
    loose = GateLimits(max_tokens=100_000, max_depth=100_000, max_bytes=1_000_000)
    result = gate("SELECT " + "(" * 2000 + "1" + ")" * 2000 + " FROM claims", limits=loose)
    assert result.failed == ["input_limits"]
    assert result.exceeded is not None and result.exceeded.name == "max_depth"


# --- legitimate reads stay legitimate -------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT region, COUNT(*) AS n FROM claims GROUP BY region; -- by region",
        "SELECT region, COUNT(*) AS n FROM claims GROUP BY region; /* done */",
        "SELECT region, COUNT(*) AS n FROM claims GROUP BY region;",
        "SELECT region, COUNT(*) AS n FROM claims GROUP BY region ;\n-- a\n-- b\n",
    ],
)
def test_a_comment_after_the_final_semicolon_is_not_a_second_statement(sql: str) -> None:
    result = gate(sql, target="postgres")
    assert result.passed, failed(result)
    assert result.check("single_statement").passed


def test_a_second_statement_after_a_comment_is_still_one_too_many() -> None:
    result = gate("SELECT region FROM claims; -- x\nSELECT status FROM claims")
    assert "single_statement" in failed(result)


@pytest.mark.parametrize(
    "expression",
    [
        "translate(region, 'abc', 'xyz')",
        "lpad(region, 10, '.')",
        "rpad(region, 10, '.')",
        "nvl(region, 'none')",
        "ifnull(region, 'none')",
        "date_format(filed_at, 'yyyy-MM')",
        "to_date(filed_at)",
        "concat_ws('/', region, channel)",
        "char_length(status)",
        "try_divide(payout_amount, 2)",
        "coalesce(resolved_at, filed_at)",
        "split_part(region, '-', 1)",
        "regexp_substr(status, '[a-z]+')",
        "btrim(region)",
        "initcap(loss_type)",
    ],
)
def test_common_databricks_functions_are_allowed(expression: str) -> None:
    result = gate(f"SELECT {expression} AS v FROM claims", target="databricks")
    assert result.passed, failed(result)


@pytest.mark.parametrize(
    "expression",
    [
        "percentile(payout_amount, 0.5)",
        "percentile_approx(payout_amount, 0.9)",
        "stddev(payout_amount)",
        "kurtosis(payout_amount)",
        "mode(region)",
    ],
)
def test_common_aggregates_are_allowed(expression: str) -> None:
    result = gate(f"SELECT {expression} AS v FROM claims", target="databricks")
    assert result.passed, failed(result)


LEGIT_OLTP = [
    "SELECT region, COUNT(*) AS n FROM claims GROUP BY region",
    "SELECT status, COUNT(*) AS n FROM claims"
    " WHERE filed_at >= current_timestamp() - INTERVAL 30 DAYS GROUP BY status ORDER BY n DESC",
    "SELECT loss_type, AVG(payout_amount) AS avg_payout FROM claims"
    " WHERE payout_amount IS NOT NULL GROUP BY loss_type",
    "SELECT date_trunc('day', filed_at) AS day, COUNT(*) AS filed FROM claims"
    " GROUP BY 1 ORDER BY 1",
    "SELECT channel, COUNT(DISTINCT customer_id) AS customers FROM claims GROUP BY channel",
    "SELECT region, COUNT(DISTINCT external_id) AS claims FROM claims GROUP BY region",
    "SELECT segment, COUNT(email) AS with_email, COUNT(DISTINCT name) AS names FROM customers"
    " GROUP BY segment",
    "SELECT d.make, COUNT(*) AS n FROM claims AS c JOIN devices AS d ON c.device_id = d.id"
    " GROUP BY d.make ORDER BY n DESC LIMIT 10",
    "SELECT cu.segment, SUM(c.payout_amount) AS paid FROM claims AS c"
    " JOIN customers AS cu ON c.customer_id = cu.id GROUP BY cu.segment",
    "WITH recent AS (SELECT region, payout_amount FROM claims"
    " WHERE filed_at >= date_sub(current_date(), 7))"
    " SELECT region, SUM(payout_amount) AS paid FROM recent GROUP BY region",
    "SELECT region, n FROM (SELECT region, COUNT(*) AS n FROM claims GROUP BY region) AS s"
    " WHERE n > 10 ORDER BY n DESC",
    "SELECT status, COUNT(*) FILTER (WHERE channel = 'app') AS app FROM claims GROUP BY status",
    "SELECT region, ROUND(100.0 * SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END)"
    " / NULLIF(COUNT(*), 0), 2) AS approval_rate FROM claims GROUP BY region",
    "SELECT region, row_number() OVER (ORDER BY COUNT(*) DESC) AS position FROM claims"
    " GROUP BY region",
    "SELECT translate(region, 'abc', 'xyz') AS r, COUNT(*) AS n FROM claims GROUP BY 1",
    "SELECT nvl(channel, 'unknown') AS ch, ifnull(region, '-') AS reg, COUNT(*) AS n"
    " FROM claims GROUP BY 1, 2",
    "SELECT coalesce(resolved_at, decided_at, filed_at) AS last_change FROM claims"
    " ORDER BY last_change DESC LIMIT 20",
    "SELECT channel, topic, COUNT(*) AS sessions FROM issue_sessions WHERE status = 'escalated'"
    " GROUP BY channel, topic",
    "SELECT category, plan_status, COUNT(*) AS n FROM devices GROUP BY category, plan_status",
    "SELECT region FROM claims UNION SELECT region FROM customers",
    "SELECT region, COUNT(*) AS n FROM claims WHERE EXISTS"
    " (SELECT 1 FROM issue_sessions AS s WHERE s.claim_id = claims.id) GROUP BY region",
    "SELECT region, COUNT(*) AS n FROM claims WHERE customer_id IN"
    " (SELECT id FROM customers WHERE segment = 'enterprise') GROUP BY region",
    "SELECT region, COUNT(*) OVER (PARTITION BY region) AS n,"
    " lag(payout_amount) OVER (PARTITION BY region ORDER BY filed_at) AS prev FROM claims",
    "SELECT upper(region) AS r, substring(status, 1, 3) AS s FROM claims LIMIT 10",
    "SELECT region, COUNT(*) AS n FROM claims GROUP BY region HAVING COUNT(*) > 1 ORDER BY n",
    "SELECT c.region, d.category, COUNT(*) AS n FROM claims AS c"
    " JOIN devices AS d ON c.device_id = d.id JOIN customers AS cu ON c.customer_id = cu.id"
    " WHERE cu.segment = 'consumer' GROUP BY c.region, d.category",
    "SELECT status, CASE WHEN payout_amount > 500 THEN 'high' ELSE 'low' END AS band,"
    " COUNT(*) AS n FROM claims GROUP BY 1, 2",
    "SELECT region /* the region */, COUNT(*) AS n FROM claims -- by region\nGROUP BY region",
    "SELECT `region`, COUNT(*) AS `n` FROM `claims` GROUP BY `region`",
    "SELECT region AS region, COUNT(*) AS n FROM claims GROUP BY region ORDER BY region",
    "WITH recent AS (SELECT * FROM claims WHERE filed_at >= current_timestamp() - INTERVAL 7 DAYS)"
    " SELECT region, COUNT(*) AS n FROM recent GROUP BY region",
    "SELECT region, status FROM claims QUALIFY row_number() OVER (PARTITION BY customer_id"
    " ORDER BY filed_at DESC) = 1",
    "SELECT region FROM claims WHERE EXISTS"
    " (SELECT * FROM devices AS d WHERE d.id = claims.device_id)",
]
LEGIT_WAREHOUSE = [
    "SELECT product_name, COUNT(DISTINCT claim_id) AS claims FROM l3_asurion.ev_claim"
    " GROUP BY product_name",
    "SELECT plan_tier, AVG(payout_amount) AS avg_payout, SUM(deductible_amount) AS deductibles"
    " FROM l3_asurion.ev_claim GROUP BY plan_tier",
    "SELECT device_make, device_model, COUNT(*) AS n FROM hive_metastore.l3_asurion.ev_claim"
    " WHERE claim_status = 'approved' GROUP BY 1, 2 ORDER BY n DESC LIMIT 25",
    "SELECT date_trunc('week', created_at) AS week, COUNT(*) AS n FROM `l3_asurion`.`ev_claim`"
    " GROUP BY 1 ORDER BY 1",
    "SELECT e.region, percentile_approx(e.payout_amount, 0.5) AS p50"
    " FROM l3_asurion.ev_claim AS e GROUP BY e.region",
    "SELECT channel, COUNT(*) AS n FROM l3_asurion.ev_claim"
    " WHERE created_at >= current_timestamp() - INTERVAL 30 DAYS GROUP BY channel;",
]


@pytest.mark.parametrize("target", ("databricks", "postgres", "sqlite"))
@pytest.mark.parametrize("sql", LEGIT_OLTP)
def test_legitimate_oltp_queries_pass(sql: str, target: str) -> None:
    result = gate(sql, OLTP, target=target)
    assert result.passed, failed(result)
    assert [c.name for c in result.checks] == list(CHECK_NAMES)


@pytest.mark.parametrize("target", ("databricks", "duckdb"))
@pytest.mark.parametrize("sql", LEGIT_WAREHOUSE)
def test_legitimate_warehouse_queries_pass(sql: str, target: str) -> None:
    result = gate(sql, WAREHOUSE, target=target)
    assert result.passed, failed(result)


def test_the_corpora_are_broad_enough() -> None:
    assert len(set(LEGIT_OLTP + LEGIT_WAREHOUSE)) >= 30
    assert len({sql for sql, _ in ADVERSARIAL}) >= 60


# --- the adversarial corpus --------------------------------------------------------------

W = "warehouse"
ADVERSARIAL: list[tuple[str, str]] = [
    # exfiltration through subqueries, in every clause
    ("SELECT (SELECT MAX(email) FROM customers) AS x FROM claims", ""),
    (
        "SELECT region FROM claims WHERE customer_id IN (SELECT id FROM customers"
        " WHERE email LIKE 'a%')",
        "",
    ),
    (
        "SELECT region FROM claims GROUP BY region HAVING MAX((SELECT MIN(name) FROM customers))"
        " > ''",
        "",
    ),
    ("SELECT region FROM claims ORDER BY (SELECT MAX(email) FROM customers)", ""),
    (
        "SELECT c.region FROM claims AS c JOIN customers AS cu ON cu.id = c.customer_id"
        " AND cu.email LIKE 'a%'",
        "",
    ),
    ("SELECT * FROM (SELECT email FROM customers) AS t", ""),
    (
        "SELECT region FROM claims WHERE EXISTS (SELECT 1 FROM customers AS cu"
        " WHERE cu.id = claims.customer_id AND substring(cu.email, 1, 1) = 'a')",
        "",
    ),
    ("SELECT region FROM claims LIMIT (SELECT COUNT(*) FROM sqlite_master)", ""),
    ("SELECT ascii(substring((SELECT email FROM customers LIMIT 1), 1, 1)) FROM claims", ""),
    (
        "SELECT region FROM claims WHERE 1 = (SELECT COUNT(*) FROM customers"
        " WHERE email LIKE 'a%')",
        "",
    ),
    ("SELECT COUNT(IF(email LIKE 'a%', 1, NULL)) FROM customers", ""),
    (
        "SELECT region, COUNT(DISTINCT email) FROM customers GROUP BY region"
        " HAVING MIN(email) LIKE 'a%'",
        "",
    ),
    ("SELECT collect_list(email) FROM customers", ""),
    ("SELECT region FROM customers WHERE email IS NOT NULL", ""),
    ("SELECT * EXCEPT (email) FROM customers", ""),
    ("SELECT region AS email FROM customers ORDER BY email || ''", ""),
    ("SELECT 'x' AS email FROM customers WHERE email LIKE 'a%'", ""),
    ("SELECT external_id FROM claims", ""),
    ("SELECT MAX(customer_id) FROM l3_asurion.ev_claim", W),
    ("SELECT region, claim_id FROM l3_asurion.ev_claim", W),
    # UNION (and friends) into other tables and system catalogs
    ("SELECT region FROM claims UNION SELECT name FROM plans", ""),
    ("SELECT region FROM claims UNION ALL SELECT type FROM events", ""),
    ("SELECT region FROM claims UNION ALL SELECT tbl_name FROM sqlite_master", ""),
    ("SELECT region FROM claims UNION ALL SELECT sql FROM sqlite_schema", ""),
    ("SELECT region FROM claims UNION ALL SELECT metric_id FROM sql_generation_log", ""),
    ("SELECT region FROM claims UNION ALL SELECT id FROM metrics_catalog", ""),
    ("SELECT region FROM claims UNION ALL SELECT table_name FROM information_schema.tables", ""),
    ("SELECT region FROM claims UNION ALL SELECT usename FROM pg_catalog.pg_user", ""),
    ("SELECT region FROM claims UNION ALL SELECT rolname FROM pg_roles", ""),
    ("SELECT region FROM claims INTERSECT SELECT passwd FROM pg_shadow", ""),
    ("SELECT region FROM claims EXCEPT SELECT email FROM customers", ""),
    ("SELECT claim_status FROM l3_asurion.ev_claim UNION SELECT status FROM claims", W),
    (
        "SELECT region FROM claims WHERE id IN (SELECT id FROM system.information_schema.columns)",
        "",
    ),
    ("SELECT region FROM hive_metastore.default.claims", ""),
    ("SELECT region FROM other_catalog.l3_asurion.ev_claim", W),
    ("SELECT region FROM `sqlite_master`", ""),
    ("SELECT region FROM `claims; DROP TABLE claims`", ""),
    # table functions, file reads, row generators
    ("SELECT * FROM read_files('/etc/passwd', format => 'text')", ""),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", ""),
    ("SELECT * FROM text.`/etc/passwd`", ""),
    ("SELECT * FROM csv.`file:///etc/passwd`", ""),
    ("SELECT * FROM duckdb_settings()", ""),
    ("SELECT * FROM generate_series(1, 1000000000)", ""),
    ("SELECT region FROM claims, range(1000000000)", ""),
    ("SELECT * FROM json_each('{}')", ""),
    ("SELECT * FROM IDENTIFIER('customers')", ""),
    ("SELECT pg_read_file('/etc/passwd') FROM claims", ""),
    ("SELECT load_extension('/tmp/x.so') FROM claims", ""),
    ("SELECT getenv('HOME') FROM claims", ""),
    ("SELECT input_file_name() FROM claims", ""),
    ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r", ""),
    ("SELECT region FROM claims PIVOT (COUNT(*) FOR status IN ('filed', 'denied'))", ""),
    # comments hiding statements
    ("SELECT region FROM claims; /* */ DROP TABLE claims", ""),
    ("SELECT region FROM claims -- \n; DELETE FROM claims", ""),
    ("SELECT region FROM claims /* ; */ ; DELETE FROM claims", ""),
    ("SELECT region FROM claims;;DELETE FROM claims", ""),
    ("SELECT region FROM claims /*! UNION SELECT email FROM customers */", ""),
    ("SELECT region FROM claims WHERE status = 'a'; SELECT email FROM customers", ""),
    # unicode tricks
    ("SELECT region FROM \u0441laims", ""),  # Cyrillic с
    ("SELECT \u0435mail FROM customers", ""),  # Cyrillic е
    ("SELECT region\u200b FROM claims", ""),  # zero-width space
    ("SELECT region FROM claims WHERE status = 'a'\u037e DELETE FROM claims", ""),  # Greek ;
    ("SELECT \uff52\uff45\uff47\uff49\uff4f\uff4e FROM claims", ""),  # full-width
    ("SELECT region FROM claims WHERE status = 'x\x00'", ""),
    # quoted identifiers
    ("SELECT `email` FROM customers", ""),
    ("SELECT `EMAIL` FROM `CUSTOMERS`", ""),
    ("SELECT `user` FROM claims", ""),
    ("SELECT c.`external_id` FROM `claims` AS c", ""),
    # CTE shadowing
    ("WITH claims AS (SELECT email AS region FROM customers) SELECT region FROM claims", ""),
    ("WITH customers AS (SELECT 1 AS email) SELECT email FROM customers", ""),
    ("WITH x AS (SELECT * FROM plans) SELECT * FROM x", ""),
    ("WITH `Devices` AS (SELECT name FROM plans) SELECT * FROM devices", ""),
    # lateral views
    ("SELECT region FROM claims LATERAL VIEW explode(split(region, ',')) t AS r", ""),
    ("SELECT region FROM claims LATERAL VIEW OUTER inline(array(struct(1))) t AS a", ""),
    (
        "SELECT c.region FROM claims AS c, LATERAL (SELECT email FROM customers AS cu"
        " WHERE cu.id = c.customer_id) AS l",
        "",
    ),
    # parameters, variables, session syntax, time travel, locking
    ("SELECT region FROM claims WHERE status = '${env:HOME}'", ""),
    ("SELECT region FROM claims WHERE status = :status", ""),
    ("SELECT region FROM claims WHERE status = ?", ""),
    ("SELECT @@version FROM claims", ""),
    ("SELECT region FROM claims WHERE status = @p", ""),
    ("SELECT * FROM l3_asurion.ev_claim@v1", W),
    ("SELECT region FROM claims TIMESTAMP AS OF '2020-01-01'", ""),
    ("SELECT region FROM claims VERSION AS OF 1", ""),
    ("SELECT region FROM claims FOR UPDATE", ""),
    ("SELECT $$a$$ FROM claims", ""),
    # niladic and denied functions, dialect-specific escapes
    ("SELECT user FROM claims", ""),
    ("SELECT current_user FROM claims", ""),
    ("SELECT system_user FROM claims", ""),
    ("SELECT current_schema FROM claims", ""),
    ("SELECT current_database() FROM claims", ""),
    ("SELECT version() FROM claims", ""),
    ("SELECT secret('scope', 'key') FROM claims", ""),
    ("SELECT region FROM claims WHERE reflect('java.lang.Thread', 'sleep', 10000) IS NULL", ""),
    ("SELECT region FROM claims WHERE status = 'a' OR pg_sleep(10) IS NULL", ""),
    ("SELECT CAST('pg_authid' AS regclass) FROM claims", ""),
    ("SELECT nextval('claims_id_seq') FROM claims", ""),
    ("SELECT ai_query('endpoint', region) FROM claims", ""),
    ("SELECT evil.schema.fn(region) FROM claims", ""),
    (
        "SELECT region FROM claims WHERE region = 'x' UNION SELECT current_setting('is_superuser')",
        "",
    ),
]


@pytest.mark.parametrize(("sql", "family"), ADVERSARIAL)
def test_adversarial_sql_is_rejected(sql: str, family: str) -> None:
    tables = WAREHOUSE if family == W else OLTP
    for target in ("databricks", "postgres", "sqlite", "duckdb"):
        result = gate(sql, tables, target=target)
        assert not result.passed and result.sql is None, (target, result.sql)
        assert result.failed, target


# --- over HTTP ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One prepared API app for the module (the HTTP corpus is large)."""
    with pytest.MonkeyPatch.context() as patch:
        isolate_settings(patch, tmp_path_factory.mktemp("gate"), rows=2000, customers=20)
        yield from prepared_client()
        get_settings.cache_clear()


def _validate(client: TestClient, sql: str, family: str = "") -> object:
    metric = WAREHOUSE_METRIC if family == W else OLTP_METRIC
    return client.post("/v1/sql/validate", json={"sql": sql, "metric_id": metric})


@pytest.mark.parametrize(("sql", "family"), ADVERSARIAL)
def test_adversarial_sql_is_rejected_over_http(client: TestClient, sql: str, family: str) -> None:
    body = assert_problem(_validate(client, sql, family), 422)
    assert body["passed"] is False and body["sql"] is None
    assert any(not check["passed"] for check in body["checks"])


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        ("SELECT " + "+".join(["1"] * 45_000) + " FROM claims", "max_bytes"),
        ("SELECT " + "+".join(["1"] * 4_000) + " FROM claims", "max_tokens"),
        ("SELECT " + "(" * 100 + "1" + ")" * 100 + " FROM claims", "max_depth"),
    ],
)
def test_limits_over_http_are_a_422_naming_the_limit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, sql: str, limit: str
) -> None:
    _no_parse(monkeypatch)
    body = assert_problem(_validate(client, sql), 422)
    assert limit in body["title"] and limit in body["detail"]
    assert body["limit"]["name"] == limit and body["limit"]["limit"] > 0
    assert [c["name"] for c in body["checks"] if not c["passed"]] == ["input_limits"]


@pytest.mark.parametrize("sql", [*LEGIT_OLTP[:8], LEGIT_OLTP[-3]])
def test_legitimate_sql_passes_over_http(client: TestClient, sql: str) -> None:
    response = _validate(client, sql)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["passed"] and body["dialect"] and "LIMIT" in body["sql"].upper()


@pytest.mark.parametrize("sql", LEGIT_WAREHOUSE)
def test_legitimate_warehouse_sql_passes_over_http(client: TestClient, sql: str) -> None:
    response = _validate(client, sql, W)
    assert response.status_code == 200, response.text

"""The sqlglot safety gate: adversarial inputs are rejected by the right check; real ones pass."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from command_center.metrics.definitions import SEEDED_METRICS
from command_center.sql.compiler import compile_metric_sql
from command_center.sql.dictionary import load_dictionary
from command_center.sql.intent import DataIntent
from command_center.sql.safety import (
    CHECK_NAMES,
    SafetyError,
    check_sql,
    ensure_safe,
    raise_for_safety,
)

ALLOWED = {"claims", "devices", "customers", "issue_sessions", "l3_asurion.ev_claim"}
KNOWN = {"plans", "events"}


def gate(sql: str, dialect: str = "databricks", limit: int = 5000):
    return check_sql(sql, ALLOWED, dialect=dialect, limit=limit, known_tables=KNOWN)


REJECTED: list[tuple[str, str, str]] = [
    # (sql, check that must fail, dialect)
    ("", "parses", "databricks"),
    ("   ;  ", "parses", "databricks"),
    ("SELECT 'unterminated", "parses", "databricks"),
    ("SELECT * FROM claims WHERE (", "parses", "databricks"),
    ("SELECT", "parses", "databricks"),
    ("SELECT 1; SELECT 2", "single_statement", "databricks"),
    ("SELECT * FROM claims; DROP TABLE claims", "single_statement", "databricks"),
    ("SELECT * FROM claims; DROP TABLE claims", "no_dml_ddl", "databricks"),
    ("VALUES (1), (2)", "select_only", "databricks"),
    ("DROP TABLE claims", "select_only", "databricks"),
    ("DELETE FROM claims", "no_dml_ddl", "databricks"),
    ("UPDATE claims SET status = 'denied'", "no_dml_ddl", "databricks"),
    ("INSERT INTO claims SELECT * FROM claims", "no_dml_ddl", "databricks"),
    (
        "MERGE INTO claims USING devices ON claims.device_id = devices.id WHEN MATCHED THEN DELETE",
        "no_dml_ddl",
        "databricks",
    ),
    ("CREATE TABLE loot AS SELECT * FROM claims", "no_dml_ddl", "databricks"),
    ("CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM claims", "no_dml_ddl", "databricks"),
    ("ALTER TABLE claims ADD COLUMN x INT", "no_dml_ddl", "databricks"),
    ("TRUNCATE TABLE claims", "no_dml_ddl", "databricks"),
    ("OPTIMIZE claims", "no_dml_ddl", "databricks"),
    ("SHOW TABLES", "no_dml_ddl", "databricks"),
    ("EXPLAIN SELECT * FROM claims", "no_dml_ddl", "databricks"),
    ("DESCRIBE claims", "no_dml_ddl", "databricks"),
    ("SET spark.sql.ansi.enabled = false", "no_dml_ddl", "databricks"),
    ("USE CATALOG other", "no_dml_ddl", "databricks"),
    ("GRANT SELECT ON claims TO `attacker`", "no_dml_ddl", "databricks"),
    ("COPY INTO claims FROM '/mnt/drop'", "no_dml_ddl", "databricks"),
    ("CACHE TABLE claims", "no_dml_ddl", "databricks"),
    ("INSERT OVERWRITE DIRECTORY '/tmp/x' SELECT * FROM claims", "no_dml_ddl", "databricks"),
    ("WITH x AS (DELETE FROM claims RETURNING *) SELECT * FROM x", "no_dml_ddl", "postgres"),
    ("WITH x AS (UPDATE claims SET status = 'x' RETURNING id) SELECT 1", "no_dml_ddl", "postgres"),
    ("SELECT * INTO stolen FROM claims", "no_select_into", "databricks"),
    ("SELECT * INTO TEMP stolen FROM claims", "no_select_into", "postgres"),
    ("SELECT * FROM plans", "table_allowlist", "databricks"),
    ("SELECT * FROM claims JOIN secrets.tokens ON 1 = 1", "table_allowlist", "databricks"),
    ("SELECT * FROM other_catalog.l3_asurion.ev_claim", "table_allowlist", "databricks"),
    ("SELECT * FROM ev_claim", "table_allowlist", "databricks"),
    ("SELECT * FROM public.claims", "table_allowlist", "databricks"),
    (
        "SELECT * FROM claims WHERE id IN (SELECT 1 FROM system.access.audit)",
        "table_allowlist",
        "databricks",
    ),
    ("SELECT * FROM (SELECT * FROM information_schema.tables) t", "table_allowlist", "databricks"),
    ("SELECT region FROM claims UNION ALL SELECT name FROM plans", "table_allowlist", "databricks"),
    # a CTE is visible only inside its own query: the outer `secrets` is a real table
    (
        "SELECT * FROM secrets UNION ALL "
        "SELECT * FROM (WITH secrets AS (SELECT 1 AS a) SELECT * FROM secrets) s",
        "table_allowlist",
        "databricks",
    ),
    # forward reference: inside `a`, `b` is not yet a CTE, so it is the real table `b`
    (
        "WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a",
        "table_allowlist",
        "databricks",
    ),
    ("WITH claims AS (SELECT * FROM secrets) SELECT * FROM claims", "cte_shadowing", "databricks"),
    ("WITH `EV_CLAIM` AS (SELECT 1 AS x) SELECT * FROM `EV_CLAIM`", "cte_shadowing", "databricks"),
    ("WITH plans AS (SELECT 1 AS x) SELECT * FROM claims", "cte_shadowing", "databricks"),
    (
        "SELECT * FROM (WITH Devices AS (SELECT 1 AS x) SELECT * FROM devices) d",
        "cte_shadowing",
        "databricks",
    ),
    ("SELECT * FROM read_files('/mnt/raw/claims')", "no_table_functions", "databricks"),
    ("SELECT * FROM parquet.`/mnt/data/claims`", "no_table_functions", "databricks"),
    ("SELECT * FROM json.`s3://bucket/dump`", "no_table_functions", "databricks"),
    ("SELECT * FROM delta.`/mnt/delta/claims`", "no_table_functions", "databricks"),
    ("SELECT * FROM `/mnt/raw/claims.csv`", "no_table_functions", "databricks"),
    ("SELECT * FROM range(10)", "no_table_functions", "databricks"),
    ("SELECT * FROM claims JOIN range(3) r ON TRUE", "no_table_functions", "databricks"),
    (
        "SELECT * FROM claims LATERAL VIEW explode(array(1, 2)) e AS x",
        "no_table_functions",
        "databricks",
    ),
    ("SELECT * FROM STREAM(claims)", "no_table_functions", "databricks"),
    ("SELECT * FROM IDENTIFIER('claims')", "no_table_functions", "databricks"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "no_table_functions", "duckdb"),
    ("SELECT * FROM 'data.parquet'", "no_table_functions", "duckdb"),
    ("SELECT secret('scope', 'key')", "function_allowlist", "databricks"),
    (
        "SELECT reflect('java.lang.Runtime', 'getRuntime') FROM claims",
        "function_allowlist",
        "databricks",
    ),
    ("SELECT java_method('java.lang.System', 'getenv', 'X')", "function_allowlist", "databricks"),
    ("SELECT current_user()", "function_allowlist", "databricks"),
    ("SELECT session_user() FROM claims", "function_allowlist", "databricks"),
    ("SELECT ai_query('endpoint', status) FROM claims", "function_allowlist", "databricks"),
    (
        "SELECT http_request(conn => 'x', method => 'GET', path => '/')",
        "function_allowlist",
        "databricks",
    ),
    ("SELECT status FROM claims WHERE is_member('admins')", "function_allowlist", "databricks"),
    ("SELECT my_udf(status) FROM claims", "function_allowlist", "databricks"),
    ("SELECT evil.schema.sum(payout_amount) FROM claims", "function_allowlist", "databricks"),
    ("SELECT input_file_name() FROM claims", "function_allowlist", "databricks"),
    ("SELECT explode(array(1, 2)) FROM claims", "function_allowlist", "databricks"),
    (
        "WITH a AS (SELECT secret('a', 'b') AS s) SELECT * FROM a",
        "function_allowlist",
        "databricks",
    ),
    (
        "SELECT * FROM claims WHERE status IN (SELECT current_user())",
        "function_allowlist",
        "databricks",
    ),
    ("SELECT pg_read_file('/etc/passwd')", "function_allowlist", "postgres"),
    ("SELECT '${env:AWS_SECRET_ACCESS_KEY}' AS k FROM claims", "no_substitution", "databricks"),
    ("SELECT * FROM claims WHERE region = '${system:user.home}'", "no_substitution", "databricks"),
]


@pytest.mark.parametrize(("sql", "check", "dialect"), REJECTED)
def test_adversarial_sql_is_rejected_by_the_right_check(sql: str, check: str, dialect: str) -> None:
    result = gate(sql, dialect=dialect)
    assert not result.passed
    assert result.sql is None
    assert check in result.failed, (result.failed, [c.detail for c in result.checks])
    assert result.check(check).detail


def test_there_are_enough_adversarial_cases() -> None:
    assert len({sql for sql, _, _ in REJECTED}) >= 40


def test_every_check_is_reported_even_after_an_early_failure() -> None:
    result = gate("WITH x AS (SELECT secret('a','b') FROM plans) SELECT * INTO t FROM x")
    names = [c.name for c in result.checks]
    assert names == [n for n in CHECK_NAMES if n != "limit"]
    assert set(result.failed) == {"no_select_into", "table_allowlist", "function_allowlist"}
    assert result.check("parses").passed and result.check("no_dml_ddl").passed


def test_denied_function_is_named() -> None:
    result = gate("SELECT reflect('a', 'b') FROM claims")
    assert "denied function reflect" in result.check("function_allowlist").detail
    unknown = gate("SELECT my_udf(status) FROM claims")
    assert "my_udf not on allowlist" in unknown.check("function_allowlist").detail


PASSING = [
    "WITH recent AS (SELECT * FROM claims WHERE filed_at >= current_timestamp() - INTERVAL 7 DAYS)"
    " SELECT region, COUNT(*) AS n FROM recent GROUP BY region",
    "WITH a AS (SELECT * FROM claims), b AS (SELECT region FROM a) SELECT * FROM b",
    "SELECT region, COUNT(*) OVER (PARTITION BY region) AS n,"
    " row_number() OVER (ORDER BY filed_at DESC) AS rn,"
    " lag(payout_amount) OVER (PARTITION BY region ORDER BY filed_at) AS prev FROM claims",
    "SELECT * FROM claims QUALIFY row_number() OVER (PARTITION BY customer_id"
    " ORDER BY filed_at DESC) = 1",
    "SELECT region FROM claims UNION SELECT region FROM customers",
    "SELECT d.make, COUNT(*) AS n FROM claims AS c JOIN devices AS d ON c.device_id = d.id"
    " JOIN customers AS cu ON c.customer_id = cu.id GROUP BY d.make",
    "SELECT * FROM claims WHERE customer_id IN"
    " (SELECT id FROM customers WHERE segment = 'enterprise')",
    "SELECT s.region, s.n FROM (SELECT region, COUNT(*) AS n FROM claims GROUP BY region) AS s"
    " ORDER BY s.n DESC LIMIT 10",
    "SELECT product_name, COUNT(DISTINCT claim_id) AS n FROM `L3_ASURION`.`EV_CLAIM` GROUP BY 1",
    "SELECT COUNT(*) FROM hive_metastore.l3_asurion.ev_claim WHERE claim_status = 'approved'",
    "SELECT date_trunc('day', filed_at) AS day,"
    " SUM(COALESCE(CAST(payout_amount AS DOUBLE), 0)) AS paid,"
    " AVG(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) AS rate,"
    " percentile_approx(payout_amount, 0.5) AS p50, approx_count_distinct(customer_id) AS uniq"
    " FROM claims GROUP BY 1 ORDER BY 1",
    "SELECT lower(region), concat(channel, '-', loss_type), substring(status, 1, 3),"
    " round(abs(payout_amount), 2), datediff(resolved_at, filed_at), year(filed_at)"
    " FROM claims WHERE status LIKE 'app%' AND payout_amount BETWEEN 1 AND 100",
    "SELECT * FROM claims WHERE EXISTS"
    " (SELECT 1 FROM issue_sessions s WHERE s.claim_id = claims.id)",
    "SELECT region, COUNT(*) FILTER (WHERE status = 'denied') AS denied FROM claims"
    " GROUP BY region HAVING COUNT(*) > 1",
]


@pytest.mark.parametrize("sql", PASSING)
def test_legitimate_sql_passes(sql: str) -> None:
    result = gate(sql)
    assert result.passed, [(c.name, c.detail) for c in result.checks if not c.passed]
    assert [c.name for c in result.checks] == list(CHECK_NAMES)
    assert sqlglot.parse_one(result.sql, read="databricks").args.get("limit") is not None


@pytest.mark.parametrize("metric", SEEDED_METRICS, ids=lambda m: m.id)
def test_compiled_seed_metrics_pass_with_dictionary_allowlist(metric) -> None:
    dictionary = load_dictionary()
    sql = compile_metric_sql(metric, DataIntent(metric=metric.id))
    result = check_sql(sql, dictionary.allowed_tables_for(metric.source_table))
    assert result.passed, result.failed


def test_catalog_prefix_policy() -> None:
    ev = {"l3_asurion.ev_claim"}
    assert check_sql("SELECT 1 AS x FROM spark_catalog.l3_asurion.ev_claim", ev).passed
    assert not check_sql("SELECT 1 AS x FROM main.l3_asurion.ev_claim", ev).passed
    custom = check_sql("SELECT 1 AS x FROM main.l3_asurion.ev_claim", ev, allowed_catalogs={"MAIN"})
    assert custom.passed
    three = {"main.l3_asurion.ev_claim"}
    assert check_sql("SELECT 1 AS x FROM `main`.`l3_asurion`.`ev_claim`", three).passed
    assert check_sql("SELECT 1 AS x FROM l3_asurion.ev_claim", three).passed
    assert not check_sql("SELECT 1 AS x FROM other.l3_asurion.ev_claim", three).passed


def _outer_limit(sql: str) -> int:
    node = sqlglot.parse_one(sql, read="databricks").args["limit"]
    assert isinstance(node, exp.Limit)
    return int(node.expression.this)


@pytest.mark.parametrize(
    ("sql", "expected", "detail"),
    [
        ("SELECT * FROM claims", 5000, "injected"),
        ("SELECT * FROM claims LIMIT 10", 10, "kept"),
        ("SELECT * FROM claims LIMIT 100000", 5000, "capped"),
        ("SELECT * FROM claims LIMIT ALL", 5000, "replaced"),
        ("SELECT * FROM claims FETCH FIRST 9000 ROWS ONLY", 5000, "capped"),
        ("SELECT region FROM claims UNION SELECT region FROM customers", 5000, "injected"),
        ("SELECT region FROM claims UNION SELECT region FROM customers LIMIT 7", 7, "kept"),
        ("SELECT * FROM (SELECT * FROM claims LIMIT 3) s", 5000, "injected"),
        ("WITH c AS (SELECT * FROM claims LIMIT 99999) SELECT * FROM c", 5000, "injected"),
    ],
)
def test_limit_injection_and_capping(sql: str, expected: int, detail: str) -> None:
    result = gate(sql)
    assert result.passed
    assert _outer_limit(result.sql) == expected
    assert detail in result.check("limit").detail


def test_inner_limit_is_untouched_and_custom_cap() -> None:
    result = gate("SELECT * FROM (SELECT * FROM claims LIMIT 3) s")
    assert "LIMIT 3" in result.sql
    assert _outer_limit(gate("SELECT * FROM claims LIMIT 50", limit=20).sql) == 20


def test_rewritten_sql_drops_comments_and_keeps_dialect() -> None:
    result = gate("SELECT `region` FROM claims -- ignore the gate\n")
    assert result.passed
    assert "ignore" not in result.sql
    pg = check_sql('SELECT "region" FROM claims', ALLOWED, dialect="postgres")
    assert pg.passed and pg.sql == 'SELECT "region" FROM claims LIMIT 5000'


def test_raise_helpers() -> None:
    with pytest.raises(SafetyError) as info:
        raise_for_safety(gate("DELETE FROM claims"))
    assert "no_dml_ddl" in str(info.value)
    assert info.value.result.passed is False
    assert ensure_safe("SELECT 1 AS x FROM claims", ALLOWED).endswith("LIMIT 5000")
    with pytest.raises(SafetyError):
        ensure_safe("SELECT * FROM plans", ALLOWED)


def test_pathologically_nested_input_is_rejected_not_crashing() -> None:
    sql = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " FROM claims"
    result = gate(sql)
    assert not result.passed
    # bounded before parsing since issue 11: the named limit, not a parse failure
    assert result.failed == ["input_limits"]
    assert result.exceeded is not None and result.exceeded.name in {"max_tokens", "max_depth"}

"""Name lists of the SQL safety gate: allowed and denied functions, niladic session names.

Policy, not domain knowledge: which sqlglot function classes and which un-typed (``Anonymous``)
function names may appear in a gated query. Reviewed against the Databricks SQL built-in
function list (string, math, date/time, conditional, aggregate, window, array functions that
read nothing but their arguments); everything else — UDFs, table functions, functions that
reveal the session, the environment or files — is rejected.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp


def words(text: str) -> list[str]:
    """Whitespace-separated words (keeps the long name lists readable)."""
    return text.split()


def classes(names: Iterable[str]) -> frozenset[type]:
    """The sqlglot expression classes with these names (missing ones are skipped)."""
    return frozenset(getattr(exp, n) for n in names if isinstance(getattr(exp, n, None), type))


# Nodes that write, define, configure or run something: rejected anywhere in the tree.
FORBIDDEN_NODES = tuple(
    classes(
        words("""Insert Update Delete Merge Create Drop Alter AlterRename TruncateTable Command
        Copy Cache Uncache Set Use Grant Revoke Describe Show Pragma Refresh LoadData Transaction
        Commit Rollback Analyze Kill Declare Execute Comment Summarize Export Attach Detach
        Install DDL DML LockingStatement""")
    )
)

# Parameter, variable and session syntax: `@x`, `@@version`, `$1`, `${x}`, `?`, `:name`, `{x}`.
PARAMETER_NODES = tuple(classes(words("Parameter Placeholder SessionParameter")))

# Typed function nodes (sqlglot classes) that may appear anywhere. Exact types only: a new
# subclass in a later sqlglot release is rejected until someone adds it here.
ALLOWED_FUNC_CLASSES = classes(
    words("""
    Count CountIf Sum Avg Min Max ApproxDistinct ApproxQuantile Quantile Stddev StddevPop
    StddevSamp Variance VariancePop Median ArrayAgg ArrayUniqueAgg First Last AnyValue
    LogicalOr LogicalAnd ArgMax ArgMin Corr CovarPop CovarSamp Kurtosis Skewness Mode
    RegrSlope RegrIntercept RegrR2 RegrCount RegrAvgx RegrAvgy GroupConcat PercentileCont
    PercentileDisc
    RowNumber Rank DenseRank Lag Lead Ntile PercentRank CumeDist FirstValue LastValue NthValue
    TimestampTrunc DateTrunc TsOrDsAdd DateAdd DateSub DateDiff TimestampDiff TimestampAdd
    TimestampSub CurrentDate CurrentTimestamp CurrentTime TsOrDsToDate StrToDate StrToTime
    TimeToStr TimeStrToTime UnixToTime UnixToStr StrToUnix TimeToUnix Year Month Day Hour Minute
    Second DayOfWeek DayOfWeekIso DayOfMonth DayOfYear WeekOfYear Week Quarter Extract AddMonths
    LastDay MonthsBetween ToChar DateFromParts TimestampFromParts NextDay UnixDate
    DateFromUnixDate ConvertTimezone DateStrToDate DateToDateStr TsOrDsToTimestamp Date Datetime
    Lower Upper Trim Length Substring Concat ConcatWs Replace RegexpSplit Split Initcap Pad
    RegexpExtract RegexpReplace RegexpLike StrPosition Left Right StartsWith EndsWith Contains
    Format Reverse Repeat Translate Ascii Chr BitLength Levenshtein Overlay RegexpCount
    RegexpInstr RegexpSubstr Soundex SplitPart SubstringIndex ToNumber Space RegexpILike
    Abs Round Floor Ceil Sqrt Pow Exp Ln Log Sign Greatest Least SafeDivide SafeAdd
    SafeMultiply SafeSubtract Acos Asin Atan Atan2 Cbrt Cos Cosh Cot Degrees Radians Sin Sinh
    Tan Tanh Pi Rint WidthBucket Negative IsNan Rand Hex Factorial
    Coalesce Nullif Nvl2 If Case Cast TryCast Nanvl EqualNull
    Array ArrayContains ArraySize Struct ArrayToString ArraySort ArrayDistinct ArrayMin ArrayMax
    ArraySlice ArrayPosition ArrayExcept ArrayIntersect Flatten
    Typeof MD5 SHA SHA2
    And Or Xor Exists
    """)
)

# Functions sqlglot leaves as `Anonymous`, allowed by (lower-case) name.
ALLOWED_ANONYMOUS = frozenset(
    words("""make_date date_part bround format_number isnull isnotnull date_format to_timestamp
    datediff dayofweek dayofmonth weekday unix_timestamp percentile_cont try_avg try_sum
    try_add try_subtract try_multiply try_to_number to_number hash btrim find_in_set
    octet_length crc32 xxhash64 e expm1 hypot log1p pmod positive nullifzero zeroifnull
    timestamp_micros timestamp_millis timestamp_seconds try_to_timestamp mean every some std
    arrays_overlap array_union cardinality decimal bigint smallint tinyint mask date datetime
    strftime julianday char_length character_length nvl ifnull lpad rpad concat_ws
    percentile try_divide coalesce to_date translate""")
)

# Named explicitly so a rejection says "denied", not just "not allowlisted".
DENIED_FUNCTIONS = frozenset(
    words("""secret try_secret reflect try_reflect java_method current_user session_user user
    system_user current_catalog current_database current_schema current_schemas
    current_metastore current_version current_role current_setting set_config version
    input_file_name input_file_block_start input_file_block_length is_member
    is_account_group_member is_role_in_session ai_query ai_generate_text ai_classify ai_extract
    ai_summarize http_request read_files read_csv read_csv_auto read_parquet read_json
    read_json_auto read_text read_blob read_kafka read_kinesis read_pubsub read_pulsar
    read_statestore cloud_files range explode explode_outer inline inline_outer posexplode
    posexplode_outer stack json_tuple sleep pg_sleep assert_true raise_error shell system
    getenv pg_read_file pg_read_binary_file pg_ls_dir lo_import lo_export dblink glob sniff_csv
    query query_table load_extension nextval setval currval txid_current
    pg_terminate_backend pg_cancel_backend""")
)

# Session functions that SQL lets you write without parentheses; sqlglot reads some of them
# as column names (`SELECT user FROM t` would return the database user on PostgreSQL).
NILADIC_NAMES = frozenset(
    words("""user current_user session_user system_user current_role current_schema
    current_catalog current_database current_metastore current_version current_path
    current_schemas current_setting current_query current_timezone current_warehouse""")
)

# `format.`path`` reads files directly (Spark/Databricks "run SQL on files").
FILE_FORMATS = frozenset(
    words("parquet json csv delta orc text avro binaryfile binary_file xml iceberg hudi")
)
PATH_CHARS = frozenset("/\\:.")


def func_name(node: exp.Func) -> str:
    """The lower-case SQL name of a function node."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return type(node).sql_name().lower()

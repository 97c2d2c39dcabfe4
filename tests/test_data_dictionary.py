"""The data dictionary cannot drift from the SQLModel tables, and its joins drive allowlists."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from command_center.db.models import Claim, Customer, Device, Event, IssueSession, Plan
from command_center.metrics.definitions import SEEDED_METRICS, WAREHOUSE_TABLE
from command_center.sql.dictionary import DEFAULT_PATH, load_dictionary

OLTP_MODELS = [Customer, Plan, Device, IssueSession, Claim, Event]
EV_CLAIM_COLUMNS = {
    "claim_id",
    "customer_id",
    "product_name",
    "plan_tier",
    "claim_status",
    "loss_type",
    "region",
    "channel",
    "device_make",
    "device_model",
    "created_at",
    "resolved_at",
    "payout_amount",
    "deductible_amount",
}


def _model_columns() -> dict[str, set[str]]:
    return {m.__tablename__: {c.name for c in m.__table__.columns} for m in OLTP_MODELS}


def test_every_model_column_is_described() -> None:
    dictionary = load_dictionary()
    for table, columns in _model_columns().items():
        assert table in dictionary.tables, table
        missing = columns - set(dictionary.columns_of(table))
        assert not missing, f"{table}: undocumented columns {sorted(missing)}"


def test_every_dictionary_column_exists() -> None:
    dictionary = load_dictionary()
    real = _model_columns() | {WAREHOUSE_TABLE: EV_CLAIM_COLUMNS}
    assert set(dictionary.tables) == set(real)
    for table, columns in dictionary.columns.items():
        extra = set(columns) - real[table]
        assert not extra, f"{table}: dictionary columns not in the schema {sorted(extra)}"


def test_columns_have_type_description_and_parsed_synonyms() -> None:
    dictionary = load_dictionary()
    region = dictionary.columns_of("claims")["region"]
    assert region.type.startswith("varchar")
    assert "territory" in region.synonyms
    for table in dictionary.columns.values():
        for info in table.values():
            assert info.type and info.description, f"{info.table}.{info.column}"
            assert all(s == s.strip() and s for s in info.synonyms)
    assert "claims.payout_amount" in dictionary.synonyms["severity"]
    assert "l3_asurion.ev_claim" in dictionary.synonyms["warehouse claims"]


def test_metric_columns_are_in_the_dictionary() -> None:
    dictionary = load_dictionary()
    for metric in SEEDED_METRICS:
        for column in [metric.time_column, *metric.dimensions]:
            assert dictionary.has_column(metric.source_table, column), (metric.id, column)


def test_allowed_tables_follow_joins() -> None:
    dictionary = load_dictionary()
    assert dictionary.allowed_tables_for("claims") == {
        "claims",
        "devices",
        "customers",
        "issue_sessions",
    }
    assert dictionary.allowed_tables_for("plans") == {"plans", "devices"}
    assert dictionary.allowed_tables_for("devices") == {
        "devices",
        "customers",
        "plans",
        "claims",
        "issue_sessions",
    }
    assert dictionary.allowed_tables_for(WAREHOUSE_TABLE) == {WAREHOUSE_TABLE}
    assert dictionary.allowed_tables_for("events") == {"events"}
    for join in dictionary.joins:
        assert dictionary.has_column(join.left_table, join.left_column)
        assert dictionary.has_column(join.right_table, join.right_column)


def test_load_from_path_and_reject_unknown_join_column(tmp_path: Path) -> None:
    copy = tmp_path / "dd"
    shutil.copytree(DEFAULT_PATH, copy)
    assert load_dictionary(copy).tables.keys() == load_dictionary().tables.keys()
    with (copy / "joins.csv").open("a") as handle:
        handle.write("claims,nope,devices,id\n")
    with pytest.raises(ValueError, match=r"claims\.nope"):
        load_dictionary(copy)


def test_categorical_descriptions_name_only_values_the_data_has() -> None:
    """Blind writers label from these descriptions: a value they name must be spelled as
    the data spells it (`claim_filed`, not `claim.filed`) and exist (no `premium` tier)."""
    from tests.widget_helpers import seeded_values

    values = seeded_values()
    checked = 0
    for info in (i for table in load_dictionary().columns.values() for i in table.values()):
        known = values.get((info.table, info.column))
        listed = re.search(r"(?:e\.g\.|:)\s*([^)]*)", info.description)
        if not known or not listed:
            continue
        text = listed.group(1).replace(" or ", ", ")
        named = [w.rstrip(".") for w in re.findall(r"[A-Za-z][\w.]*", text)]
        assert set(named) <= set(known), f"{info.table}.{info.column}: {named} vs {known}"
        checked += 1
    assert checked >= 3

"""Human labels (sentence case, spellings from data-dictionary/labels.csv) and numbers."""

from __future__ import annotations

import pytest

from command_center.ui.view_models.formatting import format_cell, format_value, humanize


@pytest.mark.parametrize(
    "word,label",
    [
        ("in_review", "In review"),
        ("water_damage", "Water damage"),
        ("loss_type", "Loss type"),
        ("sla_breaches", "SLA breaches"),  # from labels.csv
        ("Apple", "Apple"),  # already a display value
        ("iPhone 15", "iPhone 15"),
        ("2030-01-01", "2030-01-01"),
        ("approved", "Approved"),
        (None, ""),
    ],
)
def test_humanize(word, label) -> None:
    assert humanize(word) == label


@pytest.mark.parametrize(
    "value,unit,text",
    [
        (36000, "count", "36,000"),
        (295.0, "count", "295"),
        (2.5, "count", "2.5"),
        (295.0, "currency", "$295"),
        (12.5, "currency", "$12.50"),
        (0.123, "ratio", "12.3%"),
        (41.26, "hours", "41.3 h"),
        (3.0, "rate", "3.0/min"),
        (None, "count", "—"),
        ("x", "count", "—"),
    ],
)
def test_format_value(value, unit, text) -> None:
    assert format_value(value, unit) == text


def test_format_cell() -> None:
    assert (format_cell(36000), format_cell(295.0), format_cell("in_review")) == (
        "36,000",
        "295",
        "In review",
    )
    assert format_cell(None) == "—"

"""What a widget card says when its data fails: the product's refusals in its own words,
anything else as a log reference (no hosts, paths or driver details on a viewer's screen)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from command_center.sql.compiler import CompileError
from command_center.sql.safety import Check, SafetyError, SafetyResult
from command_center.ui import widget_data

SPEC = {"type": "kpi", "title": "t", "data_intent": {"metric": "claims_filed"}}


async def _card(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> dict[str, Any]:
    async def failing(*_args: Any) -> Any:
        raise exc

    monkeypatch.setattr(widget_data, "widget_data_in_view", failing)
    return await widget_data.resolve_view("w1", SPEC)


async def test_an_internal_failure_shows_a_reference_not_its_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = OSError("connection to db-internal.corp:5432 (10.2.3.4) refused, /etc/cc/pg.pass")
    with caplog.at_level(logging.ERROR, logger=widget_data.__name__):
        card = await _card(monkeypatch, secret)
    assert card["status"] == "error"
    assert "10.2.3.4" not in card["error"] and "db-internal" not in card["error"]
    ref = card["error"].split("ref ")[1][:8]
    assert any(ref in record.getMessage() for record in caplog.records)  # findable in the log


@pytest.mark.parametrize(
    "exc",
    [
        CompileError("metric claims_filed: unknown dimension 'colour'"),
        SafetyError(
            SafetyResult(passed=False, checks=[Check(name="tables", passed=False, detail="x")])
        ),
    ],
)
async def test_the_products_own_refusals_keep_their_words(
    monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    card = await _card(monkeypatch, exc)
    assert card["status"] == "error" and card["error"] == str(exc)

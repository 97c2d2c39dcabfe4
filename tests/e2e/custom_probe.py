"""Helpers of the custom-widget browser tests: probe components (TSX that runs arbitrary JS
after mount and shows the outcome), widgets inserted straight into the server's database,
and the sandbox frame and error-card locators."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from command_center.db.models import Widget, utcnow
from command_center.db.session import engine_for

PROPS = (
    "type ProbeProps = { rows: Array<Record<string, string | number | boolean | null>>;"
    " columns: string[] };\n"
)
ESCAPE = "const run = [].constructor.constructor;\n"  # reaches globals without naming one
_INSERTED: list[tuple[str, str]] = []  # (database URL, widget id) to remove after the test


def probe(body: str, effect: str = "") -> str:
    """A component that runs `effect` (JS text, via the Function constructor) after mount
    and renders what happened into #probe."""
    return (
        PROPS
        + ESCAPE
        + "export default function Probe({ rows }: ProbeProps) {\n"
        + '  const [out, setOut] = React.useState("pending");\n'
        + "  React.useEffect(() => {\n"
        + '    let result = "";\n'
        + f'    try {{ result = "ran:" + String(run({json.dumps(effect)})()); }}\n'
        + '    catch (error) { result = "blocked:" + String(error); }\n'
        + "    setOut(result);\n"
        + "  }, []);\n"
        + f"  {body}\n"
        + '  return <p id="probe">{out}</p>;\n}\n'
    )


def remove_inserted() -> Iterator[None]:
    """Fixture body: each test sees only its own probes (one looping frame stalls its
    site's others)."""
    yield
    while _INSERTED:
        url, widget_id = _INSERTED.pop()
        with Session(engine_for(url)) as session:
            row = session.get(Widget, widget_id)
            if row is not None:
                session.delete(row)
                session.commit()


def database_url(prod_server: Any) -> str:
    """The production server's SQLite database."""
    return f"sqlite:///{prod_server.env['DATA_DIR']}/command_center.db"


def track(prod_server: Any, widget_id: str) -> None:
    """Remove `widget_id` after the test."""
    _INSERTED.append((database_url(prod_server), widget_id))


def insert(prod_server: Any, source: str, title: str, limit: int = 3) -> str:
    """Put a custom widget straight into the server's database (hostile components would
    fail the static checks at persist; here the sandbox itself is under test)."""
    widget_id = "e2e-" + uuid.uuid4().hex[:12]
    spec = {
        "type": "custom", "title": title, "display_name": "Probe", "props_type": "ProbeProps",
        "tsx_source": source,
        "data_intent": {"kind": "records", "table": "events", "columns": ["type", "occurred_at"],
                        "order": [{"column": "occurred_at", "direction": "desc"}],
                        "limit": limit, "refresh_seconds": 5},
    }  # fmt: skip
    track(prod_server, widget_id)
    with Session(engine_for(database_url(prod_server))) as session:
        session.add(Widget(id=widget_id, type="custom", title=title, metric_id=None, spec=spec,
                           spec_hash=uuid.uuid4().hex, origin="chat", position=10_000,
                           created_at=utcnow()))  # fmt: skip
        session.commit()
    return widget_id


def frame(page: Any, widget_id: str) -> Any:
    """The widget's sandbox iframe (a FrameLocator)."""
    return page.frame_locator(f"#widget-{widget_id} iframe.cc-sandbox-frame")


def error_kind(page: Any, widget_id: str, kind: str, timeout: int = 30_000) -> str:
    """Wait for the widget's error card of `kind`; its text."""
    card = f"#widget-{widget_id} .cc-widget-error[data-error-kind='{kind}']"
    page.wait_for_selector(card, timeout=timeout)
    return page.locator(card).inner_text()


def claim_filed(loss_type: str = "cracked_screen") -> dict[str, str]:
    """A claim_filed event for POST /v1/events."""
    return {
        "event_id": f"e2e-{uuid.uuid4().hex}", "type": "claim_filed",
        "claim_id": f"CLM-E2E{uuid.uuid4().hex[:6].upper()}", "customer_id": "CUST-000001",
        "device_id": "DEV-000001", "loss_type": loss_type, "channel": "app",
    }  # fmt: skip

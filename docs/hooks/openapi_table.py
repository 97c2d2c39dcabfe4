"""MkDocs hook: `{{ openapi_operations }}` in a page becomes a table of every operation in
the committed OpenAPI snapshot docs/api/openapi.json (tests/test_docs.py keeps it current)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parents[1] / "api" / "openapi.json"
MARKER = "{{ openapi_operations }}"


def operations_table(document: dict[str, Any]) -> str:
    """One row per path and method: method, path, summary, tag."""
    rows = ["| method | path | what | tag |", "|---|---|---|---|"]
    for path, item in sorted(document.get("paths", {}).items()):
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            summary = (operation.get("summary") or "").replace("|", "\\|")
            tags = ", ".join(operation.get("tags", []))
            rows.append(f"| `{method.upper()}` | `{path}` | {summary} | {tags} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """Replace the marker with the generated table."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, operations_table(json.loads(SNAPSHOT.read_text())))

"""MkDocs hook: the HTTP API page is generated from the code's OpenAPI document at build time.

`{{ openapi_operations }}` in a page becomes a table of every operation of
`command_center.api.app.build_api().openapi()`, and the document itself is written to
`api/openapi.json` in the built site — so the page can never disagree with the code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

MARKER = "{{ openapi_operations }}"


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the app serves at /openapi.json."""
    from command_center.api.app import build_api

    return build_api().openapi()


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
    return markdown.replace(MARKER, operations_table(openapi_document()))


def on_post_build(config: Any, **_kwargs: Any) -> None:
    """Publish the document next to the page."""
    target = Path(config["site_dir"]) / "api" / "openapi.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(openapi_document(), indent=1, sort_keys=True) + "\n")

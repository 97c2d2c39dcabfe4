"""The dashboard layout document: per-breakpoint grid items, validated and repaired.

A document is `{"version": 1, "layouts": {"lg": [{"i", "x", "y", "w", "h"}, ...], ...}}` in
react-grid-layout's terms. `lg` (12 columns) is the reference: its items say which widgets
are on the dashboard. Smaller breakpoints are optional; the grid derives missing ones.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

LAYOUT_VERSION = 1
# the grid's geometry, here and in the browser (ui/components/widget_grid.py passes it on)
BREAKPOINTS: dict[str, int] = {"lg": 1000, "md": 760, "sm": 560, "xs": 380, "xxs": 0}
COLS: dict[str, int] = {"lg": 12, "md": 10, "sm": 6, "xs": 4, "xxs": 2}
REFERENCE = "lg"
MAX_ITEMS = 200
MAX_ROWS = 10_000
# default (w, h) on the 12-column grid by widget type; row height is ROW_HEIGHT px
DEFAULT_SIZE: dict[str, tuple[int, int]] = {"kpi": (3, 4), "chart": (6, 8), "table": (6, 8)}
FALLBACK_SIZE = (6, 8)
ROW_HEIGHT = 40


class LayoutItem(BaseModel):
    """One widget's place: id, column, row, width and height in grid units."""

    model_config = ConfigDict(extra="ignore")
    i: str = Field(min_length=1, max_length=40)
    x: int = Field(ge=0, le=MAX_ROWS)
    y: int = Field(ge=0, le=MAX_ROWS)
    w: int = Field(ge=1, le=12)
    h: int = Field(ge=1, le=200)


class LayoutDocument(BaseModel):
    """The stored JSON document (unknown breakpoints are refused)."""

    model_config = ConfigDict(extra="ignore")
    version: int = LAYOUT_VERSION
    layouts: dict[str, list[LayoutItem]] = Field(default_factory=dict)

    def model_post_init(self, _context: Any) -> None:
        unknown = set(self.layouts) - set(BREAKPOINTS)
        if unknown:
            raise ValueError(f"unknown breakpoints: {sorted(unknown)}")
        if any(len(items) > MAX_ITEMS for items in self.layouts.values()):
            raise ValueError(f"at most {MAX_ITEMS} items per breakpoint")


def parse_document(raw: Any) -> LayoutDocument:
    """A stored or submitted document; anything unreadable becomes an empty document."""
    try:
        return LayoutDocument.model_validate(raw or {})
    except ValueError:
        return LayoutDocument()


def default_item(widget_id: str, widget_type: str, cols: int, y: int) -> LayoutItem:
    """A new widget's place: its type's default size, at row `y`, clamped to `cols`."""
    w, h = DEFAULT_SIZE.get(widget_type, FALLBACK_SIZE)
    return LayoutItem(i=widget_id, x=0, y=y, w=max(1, min(w * cols // 12, cols)), h=h)


def _bottom(items: list[LayoutItem]) -> int:
    return max((item.y + item.h for item in items), default=0)


def _pack(items: list[LayoutItem], new: LayoutItem, cols: int) -> LayoutItem:
    """Place `new` in the first free slot of the bottom row band, else below everything."""
    bottom_row = max((item.y for item in items), default=0)
    band = [item for item in items if item.y + item.h > bottom_row]
    used_right = max((item.x + item.w for item in band), default=0)
    if items and used_right + new.w <= cols:
        return new.model_copy(update={"x": used_right, "y": bottom_row})
    return new.model_copy(update={"x": 0, "y": _bottom(items)})


def _clamp(item: LayoutItem, cols: int) -> LayoutItem:
    w = min(item.w, cols)
    return item.model_copy(update={"w": w, "x": min(item.x, cols - w)})


def repair(
    document: LayoutDocument, widgets: dict[str, str], *, add_missing: bool = True
) -> tuple[LayoutDocument, bool]:
    """Drop items naming widgets that no longer exist (or repeated ids), clamp them to the
    grid and, when `add_missing`, place widgets the reference layout lacks at the bottom.

    `widgets` maps widget id → type, in display order. Returns the repaired document and
    whether anything changed. A smaller breakpoint keeps only the reference's widgets.
    """
    reference = _repair_one(document.layouts.get(REFERENCE, []), widgets, REFERENCE)
    members = [item.i for item in reference]
    if add_missing:
        for widget_id, widget_type in widgets.items():
            if widget_id not in members:
                item = default_item(widget_id, widget_type, COLS[REFERENCE], 0)
                reference.append(_pack(reference, item, COLS[REFERENCE]))
                members.append(widget_id)
    layouts = {REFERENCE: reference}
    on_board = {wid: widgets[wid] for wid in members}
    for name, items in document.layouts.items():
        if name == REFERENCE:
            continue
        repaired = _repair_one(items, on_board, name)
        have = {item.i for item in repaired}
        for widget_id in members:
            if widget_id not in have:
                item = default_item(widget_id, on_board[widget_id], COLS[name], 0)
                repaired.append(item.model_copy(update={"y": _bottom(repaired)}))
        layouts[name] = repaired
    fixed = LayoutDocument(version=LAYOUT_VERSION, layouts=layouts)
    return fixed, fixed.model_dump() != document.model_dump()


def _repair_one(items: list[LayoutItem], widgets: dict[str, str], name: str) -> list[LayoutItem]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.i in widgets and item.i not in seen:
            seen.add(item.i)
            kept.append(_clamp(item, COLS[name]))
    return kept


def members(document: LayoutDocument) -> list[str]:
    """The widget ids on the dashboard, in reading order (row, then column)."""
    items = sorted(document.layouts.get(REFERENCE, []), key=lambda item: (item.y, item.x))
    return [item.i for item in items]


def place(
    document: LayoutDocument,
    widget_id: str,
    widget_type: str,
    *,
    at: dict[str, dict[str, int]] | None = None,
    after: str | None = None,
) -> LayoutDocument:
    """Add `widget_id`: at its remembered places `at` (per breakpoint; undo), next to
    `after` (duplicate), or at the bottom. Items in its way are pushed down."""
    layouts: dict[str, list[LayoutItem]] = {}
    names = set(document.layouts) | {REFERENCE}
    for name in BREAKPOINTS:
        if name not in names:
            continue
        items = [item for item in document.layouts.get(name, []) if item.i != widget_id]
        cols = COLS[name]
        new = default_item(widget_id, widget_type, cols, 0)
        anchor = next((item for item in items if item.i == after), None)
        if at and name in at:
            new = _clamp(LayoutItem(i=widget_id, **_xywh(at[name])), cols)
        elif anchor is not None:
            new = anchor.model_copy(update={"i": widget_id})
            if anchor.x + 2 * anchor.w <= cols:
                new = new.model_copy(update={"x": anchor.x + anchor.w})
            else:
                new = new.model_copy(update={"y": anchor.y + anchor.h})
        else:
            new = _pack(items, new, cols)
        layouts[name] = _push_down([*items, new], new)
    return LayoutDocument(version=LAYOUT_VERSION, layouts=layouts)


def _xywh(item: dict[str, int]) -> dict[str, int]:
    return {key: int(item[key]) for key in ("x", "y", "w", "h")}


def _overlaps(a: LayoutItem, b: LayoutItem) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _push_down(items: list[LayoutItem], fixed: LayoutItem) -> list[LayoutItem]:
    """Move every item that collides (transitively) with `fixed` below it."""
    placed = [fixed]
    result = []
    for item in sorted((i for i in items if i.i != fixed.i), key=lambda i: (i.y, i.x)):
        while any(_overlaps(item, other) for other in placed):
            blocker = max(
                (other for other in placed if _overlaps(item, other)), key=lambda o: o.y + o.h
            )
            item = item.model_copy(update={"y": blocker.y + blocker.h})
        placed.append(item)
        result.append(item)
    return [*result, fixed]


def remove(document: LayoutDocument, widget_id: str) -> tuple[LayoutDocument, dict]:
    """Take `widget_id` off every breakpoint; returns the new document and its old places."""
    places = {
        name: item.model_dump(exclude={"i"})
        for name, items in document.layouts.items()
        for item in items
        if item.i == widget_id
    }
    layouts = {
        name: [item for item in items if item.i != widget_id]
        for name, items in document.layouts.items()
    }
    return LayoutDocument(version=LAYOUT_VERSION, layouts=layouts), places


def as_json(document: LayoutDocument) -> dict[str, Any]:
    """The JSON shape stored in `dashboard_layouts.layout` and sent to the grid."""
    return document.model_dump(mode="json")

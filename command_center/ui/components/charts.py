"""Every chart kind the widget spec allows, drawn as that kind with Recharts.

A view carries `points` (one dict per category; one key per series; None = a gap) and
`series` (key, name, colour). Numbers on axes and in tooltips are formatted by the view's
unit (FORMAT_JS: the rules of ui/view_models/formatting.py); long category labels are
shortened on the axis and shown whole in the tooltip.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.function import ArgsFunctionOperation, FunctionStringVar

from command_center.ui.theme import ACCENTS

PALETTE_VAR = rx.Var.create(list(ACCENTS.values()))
# the server-side rules of ui/view_models/formatting.py, for axis ticks and tooltips
FORMAT_JS = """((unit, value, short) => {
  if (value === null || value === undefined || value === "" || isNaN(Number(value))) return "—";
  const v = Number(value);
  const big = short && Math.abs(v) >= 10000;
  const n = new Intl.NumberFormat("en-US", big
    ? { notation: "compact", maximumFractionDigits: 1 } : { maximumFractionDigits: 2 }).format(v);
  if (unit === "ratio" || unit === "percent") return (v * 100).toFixed(1) + "%";
  if (unit === "hours") return (short ? n : v.toFixed(1)) + " h";
  if (unit === "currency") return "$" + n;
  if (unit === "rate") return v.toFixed(1) + "/min";
  return n;
})"""
SHORT_JS = """((label) => { const t = String(label ?? "");
  return t.length > 14 ? t.slice(0, 13) + "…" : t; })"""
TICK = {"fontSize": 11, "fill": "var(--gray-11)"}
GRID_STROKE = "var(--gray-5)"


def _value_formatter(view: rx.Var, short: bool) -> rx.Var:
    return ArgsFunctionOperation.create(
        ("v",),
        FunctionStringVar.create(FORMAT_JS).call(
            view["unit"].to(str), rx.Var("v"), rx.Var.create(short)
        ),
    )


def _label_formatter() -> rx.Var:
    return ArgsFunctionOperation.create(
        ("v",), FunctionStringVar.create(SHORT_JS).call(rx.Var("v"))
    )


def _tooltip(view: rx.Var) -> rx.Component:
    return rx.recharts.graphing_tooltip(
        formatter=_value_formatter(view, short=False),
        content_style={"background": "var(--gray-2)", "border": "1px solid var(--gray-6)"},
        item_style={"color": "var(--gray-12)"},
        label_style={"color": "var(--gray-12)", "fontWeight": 600},
    )


def _category_axis(view: rx.Var) -> rx.Component:
    rotate = view["rotate_labels"].to(bool)
    return rx.recharts.x_axis(
        data_key="label",
        interval=0,
        tick=TICK,
        tick_formatter=_label_formatter(),
        angle=rx.cond(rotate, -35, 0),
        text_anchor=rx.cond(rotate, "end", "middle"),
        height=rx.cond(rotate, 64, 28),
    )


def _value_axis(view: rx.Var, **props: object) -> rx.Component:
    return rx.recharts.y_axis(
        tick=TICK, tick_formatter=_value_formatter(view, short=True), width=56, **props
    )


def _legend(view: rx.Var) -> rx.Component:
    return rx.cond(
        view["series"].to(list).length() > 1,
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": 11}),
    )


def _cartesian(view: rx.Var) -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=GRID_STROKE),
        _category_axis(view),
        _value_axis(view),
        _tooltip(view),
        _legend(view),
    ]


def _series(view: rx.Var) -> rx.Var:
    return view["series"].to(list[dict[str, str]])


def bar_chart(view: rx.Var, size: dict) -> rx.Component:
    """Vertical bars; horizontal when category labels are long; stacked per series."""
    stacked = _series(view).length() > 1
    bars = rx.foreach(
        _series(view),
        lambda s: rx.recharts.bar(
            data_key=s["key"],
            name=s["name"],
            fill=s["color"],
            stack_id=rx.cond(stacked, "stack", ""),
            is_animation_active=False,
        ),
    )
    vertical = rx.recharts.bar_chart(bars, *_cartesian(view), **size)
    horizontal = rx.recharts.bar_chart(
        bars,
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=GRID_STROKE),
        rx.recharts.x_axis(type_="number", tick=TICK, tick_formatter=_value_formatter(view, True)),
        rx.recharts.y_axis(
            data_key="label",
            type_="category",
            interval=0,
            tick=TICK,
            width=110,
            tick_formatter=_label_formatter(),
        ),
        _tooltip(view),
        _legend(view),
        layout="vertical",
        **size,
    )
    return rx.cond(view["rotate_labels"].to(bool), horizontal, vertical)


def line_chart(view: rx.Var, size: dict) -> rx.Component:
    """One line per series; a missing value is a gap."""
    lines = rx.foreach(
        _series(view),
        lambda s: rx.recharts.line(
            data_key=s["key"],
            name=s["name"],
            stroke=s["color"],
            stroke_width=2,
            connect_nulls=False,
            is_animation_active=False,
        ),
    )
    return rx.recharts.line_chart(lines, *_cartesian(view), **size)


def area_chart(view: rx.Var, size: dict) -> rx.Component:
    """One translucent area per series; a missing value is a gap."""
    areas = rx.foreach(
        _series(view),
        lambda s: rx.recharts.area(
            data_key=s["key"],
            name=s["name"],
            stroke=s["color"],
            fill=s["color"],
            fill_opacity=0.25,
            connect_nulls=False,
            is_animation_active=False,
        ),
    )
    return rx.recharts.area_chart(areas, *_cartesian(view), **size)


def pie_chart(view: rx.Var, size: dict) -> rx.Component:
    """A donut: one sector per category."""
    data = view["points"].to(list)
    return rx.recharts.pie_chart(
        rx.recharts.pie(
            rx.foreach(
                data,
                lambda _p, index: rx.recharts.cell(fill=PALETTE_VAR[index % len(ACCENTS)]),
            ),
            data=data,
            data_key="value",
            name_key="label",
            inner_radius="45%",
            outer_radius="75%",
            stroke="var(--gray-2)",
            is_animation_active=False,
        ),
        _tooltip(view),
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": 11}),
        **size,
    )


def scatter_chart(view: rx.Var, size: dict) -> rx.Component:
    """One point per category at its value."""
    return rx.recharts.scatter_chart(
        rx.recharts.scatter(
            data=view["points"].to(list),
            name=_series(view)[0]["name"],
            fill=_series(view)[0]["color"],
            is_animation_active=False,
        ),
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=GRID_STROKE),
        _category_axis(view),
        _value_axis(view, data_key=_series(view)[0]["key"]),
        _tooltip(view),
        **size,
    )


def radar_chart(view: rx.Var, size: dict) -> rx.Component:
    """One polygon per series over the categories."""
    return rx.recharts.radar_chart(
        rx.recharts.polar_grid(stroke=GRID_STROKE),
        rx.recharts.polar_angle_axis(data_key="label", tick=TICK),
        rx.recharts.polar_radius_axis(tick=False, axis_line=False),
        rx.foreach(
            _series(view),
            lambda s: rx.recharts.radar(
                data_key=s["key"],
                name=s["name"],
                stroke=s["color"],
                fill=s["color"],
                fill_opacity=0.3,
                is_animation_active=False,
            ),
        ),
        _tooltip(view),
        _legend(view),
        **size,
    )


def radial_bar_chart(view: rx.Var, size: dict) -> rx.Component:
    """One ring per category."""
    data = view["points"].to(list)
    return rx.recharts.radial_bar_chart(
        rx.recharts.radial_bar(
            rx.foreach(
                data,
                lambda _p, index: rx.recharts.cell(fill=PALETTE_VAR[index % len(ACCENTS)]),
            ),
            data_key="value",
            background=True,
            is_animation_active=False,
        ),
        _tooltip(view),
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": 11}),
        inner_radius="20%",
        outer_radius="95%",
        **size,
    )


def composed_chart(view: rx.Var, size: dict) -> rx.Component:
    """Bars for every series with a line over the first (the trend)."""
    first = _series(view)[0]
    return rx.recharts.composed_chart(
        rx.foreach(
            _series(view),
            lambda s: rx.recharts.bar(
                data_key=s["key"], name=s["name"], fill=s["color"], is_animation_active=False
            ),
        ),
        rx.recharts.line(
            data_key=first["key"],
            name="Trend",
            stroke="var(--gray-12)",
            stroke_width=2,
            connect_nulls=False,
            is_animation_active=False,
        ),
        *_cartesian(view),
        **size,
    )


KINDS = {
    "line": line_chart,
    "area": area_chart,
    "pie": pie_chart,
    "scatter": scatter_chart,
    "radar": radar_chart,
    "radial_bar": radial_bar_chart,
    "composed": composed_chart,
}


def chart(view: rx.Var, height: int | str = "100%") -> rx.Component:
    """The Recharts chart of `view["chart_kind"]` (bar when unknown)."""
    data = view["points"].to(list)
    size = {"data": data, "width": "100%", "height": height}
    return rx.match(
        view["chart_kind"],
        *((kind, draw(view, size)) for kind, draw in KINDS.items()),
        bar_chart(view, size),
    )

"""The widget builder panel (clarifier chat + live preview). Placeholder until built."""

import reflex as rx


def add_widget_button() -> rx.Component:
    """Opens the builder panel."""
    return rx.fragment()


def builder_panel() -> rx.Component:
    """The split panel: chat on the left, preview on the right."""
    return rx.fragment()

"""Showing controls by role (display only: every handler checks the role on the server)."""

from __future__ import annotations

import reflex as rx

from command_center.ui.states.session import SessionState


def editors_only(component: rx.Component) -> rx.Component:
    """`component` for editors and admins, nothing for viewers."""
    return rx.cond(SessionState.can_edit, component, rx.fragment())

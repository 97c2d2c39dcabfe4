"""Moved to `command_center.llm` (shared by the widget builder and the SQL generator); this
alias keeps `command_center.widgets.llm[.base|.bedrock|.errors|.offline]` importable for code
written before the move — the modules are the same objects."""

from __future__ import annotations

import sys

from command_center import llm as _llm
from command_center.llm import *  # noqa: F403
from command_center.llm import base, bedrock, errors, offline

for _module in (base, bedrock, errors, offline):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[-1]}"] = _module
__all__ = getattr(_llm, "__all__", [])
